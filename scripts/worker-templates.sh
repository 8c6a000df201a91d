#!/usr/bin/env bash
# worker-templates.sh: write schema/jobtemplates/<type>.json, the default base job template of
# each work pool type prefectgen generates for, from the releases pinned in
# scripts/requirements-worker-templates.txt. prefectgen checks every deployment's job variables
# against them (prefectgen validate), so they must come from the releases the workers run.
#
#   scripts/worker-templates.sh           # rewrite the files that differ
#   scripts/worker-templates.sh --check   # exit 1 when a committed file differs from its release
#
# The releases are installed in their own virtualenv, .cache/worker-templates-venv (kept between
# runs; rebuilt when the requirements change). Progress goes to stderr.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO/schema/jobtemplates"
check=0
[[ "${1:-}" == "--check" ]] && check=1

venv="$(PREFECT_VENV="$REPO/.cache/worker-templates-venv" PREFECT_REQUIREMENTS="$REPO/scripts/requirements-worker-templates.txt" \
	bash "$REPO/scripts/prefect-venv.sh" | tail -n 1)"
status=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for typ in process docker kubernetes; do
	env -u PREFECT_API_URL PREFECT_HOME="$tmp/home" "$venv/bin/prefect" work-pool get-default-base-job-template \
		--type "$typ" --file "$tmp/raw.json" >/dev/null
	# Sorted keys, two-space indent: the same bytes for the same template.
	"$venv/bin/python" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps(d, indent=2, sort_keys=True))' \
		"$tmp/raw.json" >"$tmp/$typ.json"
	if cmp -s "$tmp/$typ.json" "$OUT/$typ.json"; then
		continue
	fi
	if [[ "$check" == 1 ]]; then
		printf 'worker-templates: schema/jobtemplates/%s.json differs from the pinned release:\n' "$typ" >&2
		diff -u "$OUT/$typ.json" "$tmp/$typ.json" >&2 || true
		status=1
	else
		mkdir -p "$OUT"
		cp "$tmp/$typ.json" "$OUT/$typ.json"
		printf 'worker-templates: wrote schema/jobtemplates/%s.json\n' "$typ" >&2
	fi
done
exit "$status"
