#!/usr/bin/env bash
# fetch.sh: clone every repository of manifest.tsv at its pinned commit.
#
#   corpus/fetch.sh [CHECKOUTS]     (default /work/corpus)
#
# Needs access to GitHub. Each repository goes to CHECKOUTS/<owner>+<name>; one that is
# already there is only checked out at the pinned commit (fetched first when needed).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHECKOUTS="${1:-/work/corpus}"
mkdir -p "$CHECKOUTS"
status=0
while IFS=$'\t' read -r name commit _; do
	[[ -z "$name" || "$name" == \#* ]] && continue
	dir="$CHECKOUTS/${name/\//+}"
	if [[ ! -d "$dir/.git" ]]; then
		git clone --quiet "https://github.com/$name.git" "$dir" || { echo "fetch.sh: $name: clone failed" >&2; status=1; continue; }
	fi
	if ! git -C "$dir" cat-file -e "$commit^{commit}" 2>/dev/null; then
		git -C "$dir" fetch --quiet origin "$commit" || git -C "$dir" fetch --quiet origin || true
	fi
	if git -C "$dir" -c advice.detachedHead=false checkout --quiet "$commit"; then
		echo "fetch.sh: $name at ${commit:0:12}" >&2
	else
		echo "fetch.sh: $name: commit $commit not found (force-pushed or deleted?)" >&2
		status=1
	fi
done <"$HERE/manifest.tsv"
exit $status
