#!/usr/bin/env bash
# precommit-test.sh: prefectgen's pre-commit hooks (.pre-commit-hooks.yaml),
# run by the pinned pre-commit in a throw-away repository.
#
#   scripts/precommit-test.sh        # or: make precommit-test
#
# It takes a snapshot of this working tree as a commit (in a clone, so this
# repository is not touched), creates a git repository with a small Prefect
# flow whose .pre-commit-config.yaml points at that snapshot, and checks that
# 'pre-commit run --all-files' passes when the generated files are up to date,
# fails (printing the drift) when the configuration changed, and passes again
# after 'prefectgen generate'. pre-commit builds prefectgen from the snapshot
# itself (language: golang), with the Go on PATH and its module cache.
#
# pre-commit comes from PyPI into $PRECOMMIT_VENV (default
# .cache/precommit-venv), once. When it cannot be installed the script says
# the hooks were NOT tested and exits 0, except under CI (CI set), where that
# is a failure.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$REPO/scripts/requirements-precommit.txt"
VENV="${PRECOMMIT_VENV:-$REPO/.cache/precommit-venv}"
PYTHON="${PYTHON:-python3}"

log() { printf 'precommit-test: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
not_tested() {
	log "pre-commit could not be installed ($*): prefectgen's pre-commit hooks were NOT tested"
	[[ -z "${CI:-}" ]] || exit 1
	exit 0
}

# pre-commit, pinned, in its own virtualenv.
mkdir -p "$REPO/.cache"
[[ -e "$REPO/.cache/.gitignore" ]] || printf '*\n' >"$REPO/.cache/.gitignore"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]] || ! "$VENV/bin/pre-commit" --version >/dev/null 2>&1; then
	command -v "$PYTHON" >/dev/null || not_tested "no $PYTHON"
	rm -rf "$VENV"
	"$PYTHON" -m venv "$VENV" >&2 || not_tested "$PYTHON -m venv failed; on Debian: apt-get install python3-venv"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2 || not_tested "pip install -r $REQ failed"
	printf '%s\n' "$want" >"$VENV/.requirements.sha256"
fi
PRE_COMMIT="$VENV/bin/pre-commit"
log "$("$PRE_COMMIT" --version)"

tmp="$(mktemp -d)"
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export PRE_COMMIT_HOME="$tmp/pre-commit-home"
export GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE)}" # pre-commit's GOPATH is its own: keep the module cache
git_id=(-c user.name=precommit-test -c user.email=precommit-test@localhost -c commit.gpgsign=false)

# The snapshot: HEAD plus the working tree's changes and new files (as
# 'git add -A' sees them), committed in a clone, as pre-commit try-repo does.
shadow="$tmp/prefectgen"
git clone --quiet "$REPO" "$shadow"
git -C "$shadow" checkout --quiet --detach "$(git -C "$REPO" rev-parse HEAD)"
GIT_INDEX_FILE="$shadow/.git/index" GIT_OBJECT_DIRECTORY="$shadow/.git/objects" \
	git -C "$REPO" add --all -- . ':(exclude)corpus'
git -C "$shadow" "${git_id[@]}" commit --quiet --allow-empty -m "precommit-test snapshot"
rev="$(git -C "$shadow" rev-parse HEAD)"

# prefectgen itself, to generate the repository's files.
go build -o "$tmp/bin/prefectgen" "$REPO/cmd/prefectgen"

flows="$tmp/flows"
mkdir -p "$flows/flows/hello"
cd "$flows"
git init --quiet .
cat >flows/hello/workflow.py <<'PY'
from prefect import flow


@flow
def hello(name: str = "world"):
    """Say hello."""
    print(f"hello {name}")
PY
printf 'prefect==3.9.1\n' >requirements.txt
cat >deployment_config.yaml <<'YAML'
project: "hello"
environments:
  development:
    work_pools:
      python: "local"
      docker: "local-docker"
    resource_limits: {memory: "1Gi"}
YAML
cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $shadow
    rev: $rev
    hooks:
      - id: prefectgen-validate
      - id: prefectgen-check
YAML
"$tmp/bin/prefectgen" generate . >/dev/null
git add --all
git "${git_id[@]}" commit --quiet -m "flows and their generated files"

run_hooks() { "$PRE_COMMIT" run --all-files --color never >"$tmp/out" 2>&1; }

log "up to date: the hooks pass (pre-commit builds prefectgen the first time)"
start=$SECONDS
run_hooks || { cat "$tmp/out" >&2; fail "pre-commit failed on an up-to-date repository"; }
grep -q '^prefectgen generate --check\.*Passed$' "$tmp/out" || { cat "$tmp/out" >&2; fail "the drift check did not run and pass"; }
grep -q '^prefectgen validate\.*Passed$' "$tmp/out" || { cat "$tmp/out" >&2; fail "validate did not run and pass"; }
log "passed ($((SECONDS - start))s)"

log "one value changed in the configuration: the drift check fails and prints the diff"
sed -i 's/memory: "1Gi"/memory: "2Gi"/' deployment_config.yaml
if run_hooks; then cat "$tmp/out" >&2; fail "pre-commit passed with drift"; fi
grep -q '^prefectgen generate --check\.*Failed$' "$tmp/out" || { cat "$tmp/out" >&2; fail "the drift check did not fail"; }
grep -q '^changed: prefect.yaml$' "$tmp/out" || { cat "$tmp/out" >&2; fail "the drift is not named"; }
grep -q '^+      "mem_limit": "2g"$' "$tmp/out" || { cat "$tmp/out" >&2; fail "the diff is not printed"; }
log "failed, as it should"

log "after prefectgen generate: the hooks pass"
"$tmp/bin/prefectgen" generate . >/dev/null
run_hooks || { cat "$tmp/out" >&2; fail "pre-commit failed after prefectgen generate"; }
log "passed"

log "ok: prefectgen's pre-commit hooks run in a throw-away repository"
