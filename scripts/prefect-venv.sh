#!/usr/bin/env bash
# prefect-venv.sh: create (or reuse) a virtualenv holding the pinned Prefect release.
#
#   scripts/prefect-venv.sh            # prints the venv path on its last stdout line
#   PREFECT_VENV=/some/dir scripts/prefect-venv.sh
#   PYTHON=python3.11 scripts/prefect-venv.sh
#   PREFECT_VENV=DIR PREFECT_REQUIREMENTS=FILE scripts/prefect-venv.sh   # another pinned set
#
# The venv defaults to $REPO/.cache/prefect-venv. A stamp file inside it records the
# sha256 of scripts/requirements-prefect.txt; when it matches (and the venv's python
# and prefect still run) nothing is done, so repeated calls are fast.
# Progress and errors go to stderr; stdout carries only the venv path.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="${PREFECT_REQUIREMENTS:-$REPO/scripts/requirements-prefect.txt}"
VENV="${PREFECT_VENV:-$REPO/.cache/prefect-venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.prefectgen-requirements.sha256"

log() { printf 'prefect-venv: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -f "$REQ" ]] || die "requirements file not found: $REQ"

sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d' ' -f1
	else
		"$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
	fi
}

want="$(sha256_of "$REQ")"

# up_to_date: the stamp matches and the venv still works (its python may have been removed).
up_to_date() {
	[[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$want" ]] &&
		[[ -x "$VENV/bin/python" ]] && [[ -x "$VENV/bin/prefect" ]] &&
		"$VENV/bin/python" -c '' >/dev/null 2>&1
}

mkdir -p "$(dirname "$VENV")"
# Keep the repo's cache out of git without touching the repo's own .gitignore.
[[ -e "$REPO/.cache/.gitignore" ]] || { [[ -d "$REPO/.cache" ]] && printf '*\n' >"$REPO/.cache/.gitignore"; } || true

if up_to_date; then
	printf '%s\n' "$VENV"
	exit 0
fi

# Serialise concurrent callers (parallel test jobs) on a lock beside the venv.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$VENV.lock"
	flock 9
	if up_to_date; then # another caller finished the work while we waited
		printf '%s\n' "$VENV"
		exit 0
	fi
fi

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python 3.10+ (Debian: apt-get install python3 python3-venv)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' ||
	die "$("$PYTHON" -V 2>&1) is too old; Prefect 3 needs Python 3.10+ (set PYTHON=python3.11)"

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
	log "creating virtualenv at $VENV with $("$PYTHON" -V 2>&1)"
	rm -rf "$VENV"
	if ! venv_err="$("$PYTHON" -m venv "$VENV" 2>&1)"; then
		rm -rf "$VENV"
		printf '%s\n' "$venv_err" >&2
		pyver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
		if grep -qiE 'ensurepip|python3(\.[0-9]+)?-venv' <<<"$venv_err"; then
			die "'$PYTHON -m venv' failed because the venv/ensurepip module is missing. On Debian/Ubuntu run: apt-get install python3-venv (or python${pyver}-venv)"
		fi
		die "'$PYTHON -m venv $VENV' failed (see above)"
	fi
fi

log "installing $(grep -vE '^[[:space:]]*(#|$)' "$REQ" | tr '\n' ' ')into $VENV (takes a minute the first time)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2 ||
	die "pip install -r $REQ failed"
version="$("$VENV/bin/prefect" --version 2>/dev/null)" || die "prefect was installed but '$VENV/bin/prefect --version' fails"

printf '%s\n' "$want" >"$STAMP.tmp"
mv "$STAMP.tmp" "$STAMP"
log "ready: prefect $version"
printf '%s\n' "$VENV"
