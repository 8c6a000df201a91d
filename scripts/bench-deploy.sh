#!/usr/bin/env bash
# bench-deploy.sh: prefectgen deploy against prefect deploy --all on the same
# generated prefect.yaml of 50 deployments, on one throw-away local server:
# a first deploy, a redeploy after changing one flow, a redeploy with no change.
#
#   RUNS=3 CONCURRENCY=2 scripts/bench-deploy.sh
#   PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://user@127.0.0.1:5432/prefect scripts/bench-deploy.sh
#
# The second form runs the server on PostgreSQL (an empty database) instead of
# SQLite, whose single writer makes parallel deploys wait on each other.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-50}"
WORK="$REPO/.cache/bench/deploy-$N"
export PREFECT_SERVER_STATE="$REPO/.cache/bench-deploy-server.env"

go build -o "$REPO/.cache/bench/prefectgen" "$REPO/cmd/prefectgen"
PG="$REPO/.cache/bench/prefectgen"
venv="$(bash "$REPO/scripts/prefect-venv.sh" | tail -n 1)"
PREFECT="$venv/bin/prefect"
export PREFECTGEN_PREFECT="$PREFECT"

rm -rf "$WORK" && mkdir -p "$WORK/flows"
printf 'prefect==3.9.1\n' > "$WORK/requirements.txt"
{
	printf 'environments:\n  bench:\n    work_pools:\n      python: bench-pool\n    default_parameters:\n      cleanup: true\nflows:\n'
	for i in $(seq -w 1 "$N"); do
		printf '  flow-%s:\n    tags: [bench]\n    schedules:\n      - cron: "%d 6 * * MON-FRI"\n' "$i" "$((10#$i % 60))"
	done
} > "$WORK/deployment_config.yaml"
for i in $(seq -w 1 "$N"); do
	mkdir -p "$WORK/flows/f$i"
	cat > "$WORK/flows/f$i/workflow.py" <<PY
"""Flow $i of the deploy benchmark."""
from prefect import flow, task


@task
def step(n: int) -> int:
    return n * 2


@flow(name="flow-$i", log_prints=True)
def main(n: int = $((10#$i)), cleanup: bool = True) -> int:
    """Double a number."""
    return step(n)
PY
done
"$PG" generate "$WORK" >/dev/null

bash "$REPO/scripts/prefect-server.sh" stop >/dev/null 2>&1 || true
trap 'bash "$REPO/scripts/prefect-server.sh" stop >/dev/null 2>&1 || true' EXIT
bash "$REPO/scripts/prefect-server.sh" start >/dev/null
# shellcheck disable=SC1090
source "$PREFECT_SERVER_STATE"
export PREFECT_API_URL
(cd "$WORK" && "$PREFECT" --no-prompt work-pool create bench-pool --type process >/dev/null)

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
prefect_all() { (cd "$WORK" && "$PREFECT" --no-prompt deploy --prefect-file prefect.yaml --all >/dev/null 2>&1); }
prefectgen_deploy() { "$PG" deploy --env bench --concurrency "${CONCURRENCY:-2}" --api-url "$PREFECT_API_URL" "$WORK" >/dev/null; }
delete_all() {
	python3 - "$PREFECT_API_URL" <<'PY'
import json, sys, time, urllib.error, urllib.request
api = sys.argv[1]
def call(req):  # SQLite under a busy server answers 503 now and then
    for attempt in range(20):
        try:
            return urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            if e.code != 503:
                raise
            time.sleep(0.5)
    raise SystemExit("server kept answering 503")
for kind in ("deployments", "flows"):  # both, so that every first deploy creates the same
    while True:
        req = urllib.request.Request(f"{api}/{kind}/filter", data=json.dumps({"limit": 200}).encode(), headers={"Content-Type": "application/json"})
        items = json.load(call(req))
        if not items:
            break
        for item in items:
            call(urllib.request.Request(f"{api}/{kind}/{item['id']}", method="DELETE"))
PY
}
change_flow() { # one flow's configuration changes: a new tag
	sed -i "0,/  flow-$1:\n    tags: \[bench\]/s//&/" "$WORK/deployment_config.yaml"
	python3 - "$WORK/deployment_config.yaml" "$1" "$2" <<'PY'
import sys
p, flow, tag = sys.argv[1:]
s = open(p).read().replace(f"  flow-{flow}:\n    tags: [bench]", f"  flow-{flow}:\n    tags: [bench, {tag}]", 1)
open(p, "w").write(s)
PY
	"$PG" generate "$WORK" >/dev/null
}

# Each measurement is taken RUNS times, alternating the tools; the table
# shows medians.
RUNS="${RUNS:-3}"
median() { python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" "$@"; }
first_pf=() first_pg=() one_pf=() one_pg=() none_pf=() none_pg=()
for r in $(seq 1 "$RUNS"); do
	delete_all
	t0=$(now); prefect_all; t1=$(now); first_pf+=("$(secs "$t0" "$t1")")
	delete_all
	t0=$(now); prefectgen_deploy; t1=$(now); first_pg+=("$(secs "$t0" "$t1")")
	change_flow "$(printf '%02d' "$((r * 2))")" "a$r"
	t0=$(now); prefectgen_deploy; t1=$(now); one_pg+=("$(secs "$t0" "$t1")")
	change_flow "$(printf '%02d' "$((r * 2 + 1))")" "b$r"
	t0=$(now); prefect_all; t1=$(now); one_pf+=("$(secs "$t0" "$t1")")
	t0=$(now); prefectgen_deploy; t1=$(now); none_pg+=("$(secs "$t0" "$t1")")
	t0=$(now); prefect_all; t1=$(now); none_pf+=("$(secs "$t0" "$t1")")
done
first_pf=$(median "${first_pf[@]}") first_pg=$(median "${first_pg[@]}")
one_pf=$(median "${one_pf[@]}") one_pg=$(median "${one_pg[@]}")
none_pf=$(median "${none_pf[@]}") none_pg=$(median "${none_pg[@]}")

"$PG" status --env bench --api-url "$PREFECT_API_URL" "$WORK" | tail -n 1

db=SQLite; [ -n "${PREFECT_API_DATABASE_CONNECTION_URL:-}" ] && db="${PREFECT_API_DATABASE_CONNECTION_URL%%:*}"
printf '\n%s deployments, Prefect 3.9.1, one local server (%s), %s cores, median of %s runs, prefectgen --concurrency %s\n' "$N" "$db" "$(nproc)" "$RUNS" "${CONCURRENCY:-2}"
printf '%-28s %12s %12s %8s\n' "" "prefect --all" "prefectgen" "ratio"
for row in "first deploy:$first_pf:$first_pg" "after changing one flow:$one_pf:$one_pg" "no change:$none_pf:$none_pg"; do
	IFS=: read -r name pf pg <<<"$row"
	printf '%-28s %11ss %11ss %7sx\n' "$name" "$pf" "$pg" "$(python3 -c "print(f'{$pf / $pg:.1f}')")"
done
