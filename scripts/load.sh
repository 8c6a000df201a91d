#!/usr/bin/env bash
# load.sh: prefectgen on a generated repository of N flows (default 200) in three environments:
# generate, plan and deploy of one environment against a throw-away local server, then plan and
# deploy again with nothing to change. Prints each step's wall time and prefectgen's peak memory
# (GNU time's maximum resident set size).
#
#   N=200 CONCURRENCY=2 scripts/load.sh
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-200}"
CONCURRENCY="${CONCURRENCY:-2}"
WORK="$REPO/.cache/load/flows-$N"
export PREFECT_SERVER_STATE="$REPO/.cache/load-server.env"
[[ -x /usr/bin/time ]] || { echo "load.sh: needs GNU time (Debian package time)" >&2; exit 1; }

mkdir -p "$REPO/.cache/load"
go build -o "$REPO/.cache/load/prefectgen" "$REPO/cmd/prefectgen"
PG="$REPO/.cache/load/prefectgen"
venv="$(bash "$REPO/scripts/prefect-venv.sh" | tail -n 1)"
export PREFECTGEN_PREFECT="$venv/bin/prefect"

rm -rf "$WORK" && mkdir -p "$WORK/flows"
printf 'prefect==3.9.1\n' >"$WORK/requirements.txt"
{
	printf 'project: load\nenvironments:\n'
	for env in dev staging prod; do
		printf '  %s:\n    work_pools:\n      python: %s-pool\n    default_parameters:\n      cleanup: true\n' "$env" "$env"
	done
	printf 'flows:\n'
	for i in $(seq -w 1 "$N"); do
		printf '  flow-%s:\n    tags: [load]\n    schedules:\n      - cron: "%d 6 * * MON-FRI"\n' "$i" "$((10#$i % 60))"
	done
} >"$WORK/deployment_config.yaml"
for i in $(seq -w 1 "$N"); do
	mkdir -p "$WORK/flows/f$i"
	cat >"$WORK/flows/f$i/workflow.py" <<PY
"""Flow $i of the load test."""
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

bash "$REPO/scripts/prefect-server.sh" stop >/dev/null 2>&1 || true
trap 'bash "$REPO/scripts/prefect-server.sh" stop >/dev/null 2>&1 || true' EXIT
bash "$REPO/scripts/prefect-server.sh" start >/dev/null
# shellcheck disable=SC1090
source "$PREFECT_SERVER_STATE"

# measure NAME prefectgen-arguments...: wall time and peak memory of one run.
measure() {
	local name="$1" stats="$REPO/.cache/load/time.txt"
	shift
	/usr/bin/time -f '%e %M' -o "$stats" "$PG" "$@" >"$REPO/.cache/load/$name.log" 2>&1 || {
		tail -20 "$REPO/.cache/load/$name.log" >&2
		echo "load.sh: $name failed" >&2
		exit 1
	}
	read -r secs kb <"$stats"
	printf '%-22s %7.2f s  %6d MB peak\n' "$name" "$secs" "$((kb / 1024))"
}
printf 'load: %d flows x 3 environments = %d deployments; deploying one environment (%d) to %s\n' "$N" "$((N * 3))" "$N" "$PREFECT_API_URL"
measure "validate" validate "$WORK"
measure "generate" generate "$WORK"
measure "generate --check" generate --check "$WORK"
measure "plan (empty server)" plan --env dev --api-url "$PREFECT_API_URL" "$WORK"
measure "deploy" deploy --env dev --create-pools --concurrency "$CONCURRENCY" --api-url "$PREFECT_API_URL" "$WORK"
measure "plan (deployed)" plan --env dev --api-url "$PREFECT_API_URL" "$WORK"
measure "deploy (no change)" deploy --env dev --api-url "$PREFECT_API_URL" "$WORK"
grep -E '^[0-9]+ created' "$REPO/.cache/load/deploy.log"
