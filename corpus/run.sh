#!/usr/bin/env bash
# run.sh: measure prefectgen on the corpus of public repositories in manifest.tsv.
#
#   corpus/run.sh [-d CHECKOUTS] [-o OUT] [--truth] [--only owner/name]...
#
#   -d CHECKOUTS   folder holding one checkout per manifest line, named owner+name
#                  (default /work/corpus; see corpus/README.md, corpus/fetch.sh)
#   -o OUT         output folder (default ./corpus-out); it is created
#   --truth        also compute Prefect's own view of the flows with corpus/prefect_truth.py
#                  (needs the pinned venv: scripts/prefect-venv.sh; PREFECT_PYTHON overrides)
#                  and compare it with what prefectgen found
#   --truth-from D reuse the truth.json files of an earlier --truth run in D instead of
#                  computing them again (they depend only on the checkouts and Prefect)
#   --only R       measure only repository R (repeatable)
#   --allow-moved  measure a checkout that is not at the manifest's commit (warns)
#
# The binary is $PREFECTGEN, else bin/prefectgen of this repository.
#
# For each repository it writes OUT/<owner+name>/discover.json, validate.json and their
# stderr and exit codes, then OUT/summary.md and OUT/summary.tsv (corpus/summarize.py).
# validate runs with no deployment_config.yaml of ours: a checkout that has its own is
# reported in the summary (none of the manifest's does at its pinned commit).
# Nothing is written into the checkouts.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
MANIFEST="$HERE/manifest.tsv"
CHECKOUTS=/work/corpus
OUT="$PWD/corpus-out"
TRUTH=0
TRUTH_FROM=""
ALLOW_MOVED=0
ONLY=()

while [[ $# -gt 0 ]]; do
	case "$1" in
	-d) CHECKOUTS="$2"; shift 2 ;;
	-o) OUT="$2"; shift 2 ;;
	--truth) TRUTH=1; shift ;;
	--truth-from) TRUTH_FROM="$2"; shift 2 ;;
	--only) ONLY+=("$2"); shift 2 ;;
	--allow-moved) ALLOW_MOVED=1; shift ;;
	-h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

PREFECTGEN="${PREFECTGEN:-$REPO/bin/prefectgen}"
[[ -x "$PREFECTGEN" ]] || { echo "run.sh: no prefectgen binary at $PREFECTGEN (make build, or set PREFECTGEN)" >&2; exit 2; }
[[ -d "$CHECKOUTS" ]] || { echo "run.sh: no checkouts folder $CHECKOUTS (see corpus/README.md)" >&2; exit 2; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

if [[ $TRUTH == 1 ]]; then
	PREFECT_PYTHON="${PREFECT_PYTHON:-$(bash "$REPO/scripts/prefect-venv.sh" | tail -1)/bin/python}"
	[[ -x "$PREFECT_PYTHON" ]] || { echo "run.sh: no python at $PREFECT_PYTHON" >&2; exit 2; }
fi

"$PREFECTGEN" version >"$OUT/prefectgen-version.txt" 2>&1 || true
missing=0
: >"$OUT/repos.tsv"
while IFS=$'\t' read -r name commit notes; do
	[[ -z "$name" || "$name" == \#* ]] && continue
	if [[ ${#ONLY[@]} -gt 0 ]]; then
		hit=0
		for o in "${ONLY[@]}"; do [[ "$o" == "$name" ]] && hit=1; done
		[[ $hit == 1 ]] || continue
	fi
	dir="$CHECKOUTS/${name/\//+}"
	slug="${name/\//+}"
	if [[ ! -d "$dir" ]]; then
		echo "run.sh: $name: no checkout at $dir, skipped" >&2
		missing=$((missing + 1))
		continue
	fi
	head="$(git -C "$dir" rev-parse HEAD 2>/dev/null || echo none)"
	if [[ "$head" != "$commit" ]]; then
		if [[ $ALLOW_MOVED == 1 ]]; then
			echo "run.sh: warning: $name is at $head, the manifest pins $commit" >&2
		else
			echo "run.sh: $name is at $head, the manifest pins $commit (git -C $dir checkout $commit, or --allow-moved); skipped" >&2
			missing=$((missing + 1))
			continue
		fi
	fi
	o="$OUT/$slug"
	mkdir -p "$o"
	own_config=""
	for f in deployment_config.yaml deployment_config.yml flow_templates.yaml; do
		[[ -e "$dir/$f" ]] && own_config="$own_config $f"
	done
	own_prefect_yaml="$(cd "$dir" && git ls-files -- 'prefect.yaml' '*/prefect.yaml' 'prefect.yml' '*/prefect.yml' 2>/dev/null | paste -sd ';' -)"
	start=$(date +%s%N)
	set +e
	"$PREFECTGEN" discover --json "$dir" >"$o/discover.json" 2>"$o/discover.stderr"
	echo $? >"$o/discover.rc"
	"$PREFECTGEN" validate --json "$dir" >"$o/validate.json" 2>"$o/validate.stderr"
	echo $? >"$o/validate.rc"
	set -e
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if [[ $TRUTH == 1 ]]; then
		"$PREFECT_PYTHON" "$HERE/prefect_truth.py" --out "$o" "$dir" 2>"$o/truth.stderr" || echo "run.sh: $name: prefect_truth.py failed (see $o/truth.stderr)" >&2
		[[ -f "$o/$slug.truth.json" ]] && mv "$o/$slug.truth.json" "$o/truth.json"
	elif [[ -n "$TRUTH_FROM" ]]; then
		if [[ -f "$TRUTH_FROM/$slug/truth.json" ]]; then
			cp "$TRUTH_FROM/$slug/truth.json" "$o/truth.json"
		else
			echo "run.sh: $name: no $TRUTH_FROM/$slug/truth.json to reuse" >&2
		fi
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$slug" "$head" "${own_config# }" "$own_prefect_yaml" "$ms" >>"$OUT/repos.tsv"
	echo "run.sh: $name done (discover rc $(cat "$o/discover.rc"), validate rc $(cat "$o/validate.rc"))" >&2
done <"$MANIFEST"

python3 "$HERE/summarize.py" "$OUT" "$CHECKOUTS"
echo "run.sh: summary in $OUT/summary.md and $OUT/summary.tsv" >&2
[[ $missing == 0 ]] || echo "run.sh: $missing repositories skipped (missing or at another commit)" >&2
