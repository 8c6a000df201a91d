#!/usr/bin/env bash
# bench-discover.sh: time `prefectgen discover` against Prefect's own flow discovery
# on two synthetic repositories, and print a table.
#
#   scripts/bench-discover.sh            # RUNS=5 timed runs per tool and tree
#   RUNS=9 scripts/bench-discover.sh
#
# Trees (written by the test generator in generator/discover/synth_test.go, into
# .cache/bench/, byte-identical on every run; rewritten only when the generator changes):
#   10k-5pct     10,000 Python files, every 20th defines flows (plus as many Prefect task modules)
#   1k-allflows   1,000 Python files, every one defines flows
#
# For each tree and tool: one untimed run first (it warms the page cache, so every
# timed run reads the tree from memory: these are warm-cache numbers), then RUNS timed
# runs with /usr/bin/time -f '%e %M'; the table shows the medians of wall time and of
# peak RSS. prefectgen runs as `prefectgen discover --json TREE >/dev/null`; Prefect as
# scripts/prefect_discover_bench.py TREE (a fresh python process that imports prefect and
# calls prefect.cli._prompts.search_for_flow_functions, what `prefect deploy` uses to find
# flows), in the virtualenv of scripts/prefect-venv.sh. "prefect s" is that whole process,
# like prefectgen's; "search s" is the search call alone, without importing prefect.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
OUT="$REPO/.cache/bench"
RUNS="${RUNS:-5}"
GO="${GO:-go}"

log() { printf 'bench-discover: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, not $RUNS"
mkdir -p "$OUT"
[[ -e "$REPO/.cache/.gitignore" ]] || printf '*\n' >"$REPO/.cache/.gitignore"

# GNU time (Debian package "time"): the shell keyword cannot report peak RSS.
if [[ ! -x /usr/bin/time ]]; then
	log "installing the Debian package 'time' for /usr/bin/time"
	SUDO=""
	[[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
	$SUDO apt-get install -y -q time >&2 || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q time >&2; } ||
		die "cannot install 'time'; install it (apt-get install time) and run again"
fi
command -v python3 >/dev/null || die "python3 is needed (to read the JSON outputs)"

log "building prefectgen"
"$GO" build -o "$OUT/prefectgen" ./cmd/prefectgen
PG="$OUT/prefectgen"

log "preparing Prefect's virtualenv (scripts/prefect-venv.sh)"
VENV="$(scripts/prefect-venv.sh | tail -n 1)"
PY="$VENV/bin/python"
[[ -x "$PY" ]] || die "no python in $VENV"

# write_tree NAME FILES EVERY: write .cache/bench/tree-NAME unless it is already there
# with the same parameters and generator.
write_tree() {
	local name=$1 files=$2 every=$3 dir="$OUT/tree-$1"
	local want
	want="$files $every $(sha256sum generator/discover/synth_test.go | cut -d' ' -f1)"
	if [[ -f "$dir.stamp" && "$(cat "$dir.stamp")" == "$want" && -d "$dir" ]]; then
		log "reusing $dir"
		return
	fi
	log "writing $dir ($files files; file i defines flows when i % $every == 0)"
	rm -rf "$dir" "$dir.stamp" "$dir.synth.txt"
	"$GO" test ./generator/discover -count=1 -run '^TestWriteSynth$' -v \
		-synth.write "$dir" -synth.files "$files" -synth.every "$every" >"$dir.log" 2>&1 ||
		{ cat "$dir.log" >&2; die "writing $dir failed"; }
	grep '^synth: wrote' "$dir.log" >"$dir.synth.txt" || die "no summary in $dir.log"
	printf '%s\n' "$want" >"$dir.stamp"
}

# timed OUTFILE CMD...: run CMD under /usr/bin/time with stdout to OUTFILE; sets
# T_S (wall seconds) and T_K (peak RSS in KiB).
TF="$(mktemp)"
trap 'rm -f "$TF"' EXIT
timed() {
	local out=$1
	shift
	/usr/bin/time -f '%e %M' -o "$TF" "$@" >"$out" || die "failed: $*"
	read -r T_S T_K < <(tail -n 1 "$TF")
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2}'; }

json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"d": d}))' "$@"; }

TREES=("10k-5pct 10000 20" "1k-allflows 1000 1")
for t in "${TREES[@]}"; do
	# shellcheck disable=SC2086
	write_tree $t
done

rows=()
for t in "${TREES[@]}"; do
	read -r name files every <<<"$t"
	dir="$OUT/tree-$name"
	defined="$(sed -E 's/.*\), ([0-9]+) flows \(([0-9]+) visible.*/\1 \2/' "$dir.synth.txt")"
	read -r n_defined n_visible <<<"$defined"

	log "$name: warming up (untimed run of each tool)"
	timed "$OUT/$name.prefectgen.json" "$PG" discover --json "$dir"
	timed "$OUT/$name.prefect.json" "$PY" scripts/prefect_discover_bench.py "$dir"
	pg_files="$(json "$OUT/$name.prefectgen.json" 'd["stats"]["files_seen"]')"
	pg_flows="$(json "$OUT/$name.prefectgen.json" 'len(d["flows"])')"
	pg_errs="$(json "$OUT/$name.prefectgen.json" 'len(d["validation"]["errors"])')"
	pf_flows="$(json "$OUT/$name.prefect.json" 'd["flows_found"]')"
	pf_files="$(json "$OUT/$name.prefect.json" 'd["files_scanned"]')"
	pf_version="$(json "$OUT/$name.prefect.json" 'd["prefect_version"]')"
	[[ "$pg_errs" == 0 ]] || log "warning: prefectgen reports $pg_errs errors on $name"
	[[ "$pf_files" == "$pg_files" ]] || log "warning: Prefect scanned $pf_files files, prefectgen $pg_files"

	pg_s=() pg_k=() pf_s=() pf_k=() pf_search=()
	for ((r = 1; r <= RUNS; r++)); do
		log "$name: timed run $r/$RUNS"
		timed /dev/null "$PG" discover --json "$dir"
		pg_s+=("$T_S") pg_k+=("$T_K")
		timed "$OUT/$name.prefect.run.json" "$PY" scripts/prefect_discover_bench.py "$dir"
		pf_s+=("$T_S") pf_k+=("$T_K")
		pf_search+=("$(json "$OUT/$name.prefect.run.json" 'd["seconds"]')")
	done
	m_pg_s="$(printf '%s\n' "${pg_s[@]}" | median)"
	m_pg_k="$(printf '%s\n' "${pg_k[@]}" | median)"
	m_pf_s="$(printf '%s\n' "${pf_s[@]}" | median)"
	m_pf_k="$(printf '%s\n' "${pf_k[@]}" | median)"
	m_pf_search="$(printf '%s\n' "${pf_search[@]}" | median)"
	log "$name: prefectgen runs: ${pg_s[*]} s; prefect runs: ${pf_s[*]} s (search alone: ${pf_search[*]} s)"
	rows+=("$(awk -v n="$name" -v f="$pg_files" -v d="$n_defined" -v v="$n_visible" -v gf="$pg_flows" -v pf="$pf_flows" \
		-v gs="$m_pg_s" -v gk="$m_pg_k" -v ps="$m_pf_s" -v pk="$m_pf_k" -v pss="$m_pf_search" 'BEGIN {
		r = (gs > 0) ? sprintf("%.1fx", ps / gs) : "-"
		rs = (gs > 0) ? sprintf("%.1fx", pss / gs) : "-"
		printf "%-12s %6d %8s %10d %8d %8.2f %8.1f %8.2f %8.2f %8.1f %7s %7s", n, f, d "/" v, gf, pf, gs, gk / 1024, ps, pss, pk / 1024, r, rs
	}')")
done

echo
echo "prefectgen discover vs Prefect $pf_version search_for_flow_functions; $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $("$GO" env GOVERSION)"
echo "median of $RUNS timed runs each, after one untimed warm-up run per tool and tree (warm page cache)"
echo
printf '%-12s %6s %8s %10s %8s %8s %8s %8s %8s %8s %7s %7s\n' \
	tree files defined prefectgen prefect "pg s" "pg MB" "pf s" "search s" "pf MB" ratio "ratio*"
for row in "${rows[@]}"; do
	printf '%s\n' "$row"
done
echo
echo "defined: flows in the tree / of them, flows whose decorator Prefect's search recognises (@flow, @flow(...),"
echo "  @prefect.flow, @prefect.flow(...); not aliases such as @f or @pf.flow). prefectgen, prefect: flows found."
echo "pg s, pf s: wall time of the whole process; search s: Prefect's search call alone (no import);"
echo "MB: peak RSS in MiB. ratio: pf s / pg s. ratio*: search s / pg s."
