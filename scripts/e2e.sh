#!/usr/bin/env bash
# e2e.sh: the end-to-end run: every deployment of the example runs to Completed through real
# workers, process and docker, in two environments, on a real Docker engine.
#
#   scripts/e2e.sh          (make e2e)
#
# 1. A Docker engine: the one that answers, else a private one started with
#    scripts/docker-engine.sh (it installs Debian's docker.io when missing; needs root). The base
#    images are built locally (scripts/docker-images.sh): no registry is reachable.
# 2. A copy of examples/rpa-platform in a git checkout, with a third environment, "remote", whose
#    process workers clone the repository at the deployed commit (process.git) from a bare
#    repository beside it, as a worker on another machine would.
# 3. A throw-away Prefect server on the loopback. prefectgen builds every image (images build),
#    then deploys development, staging (its URL mapped to the local server with --api-url) and
#    remote, creating the pools.
# 4. Workers started at the checkout's root: process workers for the three python pools, docker
#    workers for the two docker pools (the containers reach the server with host networking).
# 5. prefectgen smoke runs every deployment once; the script checks that every run Completed and
#    wrote its output, and that each environment's .env file reached its runs.
# 6. examples/uv-project, a uv project: its image installs what uv.lock pins; its docker
#    deployment runs to Completed through its own docker worker and writes its report.
# Then it stops the workers, the server and the engine it started (which puts the host network
# back as it was), and prints the table of runs, the timings and the image sizes.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$REPO/bin/prefectgen"
E2E="$REPO/.cache/e2e"
WORK="$E2E/rpa-platform"
UVWORK="$E2E/uv-project"
ORIGIN="$E2E/origin.git"
export PREFECT_SERVER_STATE="$REPO/.cache/e2e-server.env"
export PREFECT_WORKER_STATE_DIR="$REPO/.cache/e2e-workers"
T0=$SECONDS
declare -a TIMINGS=()

log() { printf '\n== [%4ss] %s\n' "$((SECONDS - T0))" "$*"; }
die() { printf 'e2e: FAIL: %s\n' "$*" >&2; exit 1; }
mark() { TIMINGS+=("$1: $((SECONDS - $2))s"); }

engine_started=0
cleanup() {
	bash "$REPO/scripts/prefect-worker.sh" stop >/dev/null 2>&1 || true
	bash "$REPO/scripts/prefect-server.sh" stop >/dev/null 2>&1 || true
	if [[ "$engine_started" == 1 ]]; then
		bash "$REPO/scripts/docker-engine.sh" stop || true
	fi
}
trap cleanup EXIT

log "prefectgen and the pinned Prefect"
t=$SECONDS
(cd "$REPO" && go build -o "$BIN" ./cmd/prefectgen)
venv="$(bash "$REPO/scripts/prefect-venv.sh" | tail -n 1)"
export PREFECTGEN_PREFECT="$venv/bin/prefect"
mark "build and venv" "$t"

log "the base job templates prefectgen checks job variables against match the pinned releases"
t=$SECONDS
bash "$REPO/scripts/worker-templates.sh" --check
mark "job templates" "$t"

log "the Docker engine"
t=$SECONDS
if ! timeout 10 docker info >/dev/null 2>&1; then
	if ! bash "$REPO/scripts/docker-engine.sh" status >/dev/null 2>&1; then
		engine_started=1
	fi
	line="$(bash "$REPO/scripts/docker-engine.sh" start)"
	export "${line?}"
fi
docker info --format 'engine {{.ServerVersion}}, storage {{.Driver}}'
mark "engine" "$t"

log "the example in a git checkout, with a remote environment cloned by its workers"
rm -rf "$E2E"
mkdir -p "$E2E"
cp -a "$REPO/examples/rpa-platform" "$WORK"
cat >>"$WORK/deployment_config.yaml" <<EOT

  # Workers on other machines: they clone the repository at the deployed
  # commit on every run (the end-to-end run's stand-in for a git server).
  remote:
    prefect_api_url: "http://prefect.remote.internal/api"
    work_pools:
      python: "remote-agent-pool"
    default_parameters:
      cleanup: true
      use_distributed: false
    process:
      git:
        repository: "file://$ORIGIN"
EOT
"$BIN" generate "$WORK" >/dev/null
git -C "$WORK" init -q -b main
git -C "$WORK" -c user.name=e2e -c user.email=e2e@localhost add -A
git -C "$WORK" -c user.name=e2e -c user.email=e2e@localhost commit -qm "the example"
git clone -q --bare "$WORK" "$ORIGIN"
"$BIN" validate "$WORK"
cp -a "$REPO/examples/uv-project" "$UVWORK"
"$BIN" generate --check "$UVWORK" >/dev/null
git -C "$UVWORK" init -q -b main
git -C "$UVWORK" -c user.name=e2e -c user.email=e2e@localhost add -A
git -C "$UVWORK" -c user.name=e2e -c user.email=e2e@localhost commit -qm "the uv example"
"$BIN" validate "$UVWORK"

log "base images (built locally), then the flow images with prefectgen images build"
t=$SECONDS
bash "$REPO/scripts/docker-images.sh" "$WORK" "$UVWORK"
mark "base images" "$t"
bash "$REPO/scripts/prefect-server.sh" start >/dev/null
# shellcheck disable=SC1090
source "$PREFECT_SERVER_STATE"
export PREFECT_API_URL
API="$PREFECT_API_URL"
t=$SECONDS
"$BIN" images build --env development --api-url "$API" "$WORK"
mark "flow images" "$t"
t=$SECONDS
"$BIN" images build --env development --api-url "$API" "$UVWORK"
mark "uv-project image" "$t"

log "deploy development, staging and remote to $API"
t=$SECONDS
for env in development staging remote; do
	"$BIN" deploy --env "$env" --create-pools --api-url "$API" "$WORK"
done
mark "deploys" "$t"
t=$SECONDS
"$BIN" deploy --env development --type docker --create-pools --api-url "$API" "$UVWORK"
mark "deploy uv-project" "$t"

log "workers at the checkout's root"
t=$SECONDS
# The images run as uid 10001: the output folders their volumes mount must be writable for it.
chmod -R a+rwX "$WORK"/flows/*/output "$UVWORK"/flows/*/output
for pool in default-agent-pool staging-agent-pool remote-agent-pool; do
	bash "$REPO/scripts/prefect-worker.sh" start "$pool" process "$WORK"
done
for pool in docker-pool staging-docker-pool; do
	bash "$REPO/scripts/prefect-worker.sh" start "$pool" docker "$WORK"
done
bash "$REPO/scripts/prefect-worker.sh" start uv-docker-pool docker "$UVWORK"
mark "workers" "$t"

RESULTS="$E2E/runs.txt"
: >"$RESULTS"
# expect_setting FLOWDIR KEY VALUE: the run wrote that setting, from its .env file.
expect_setting() {
	grep -q "\"$2\": \"$3\"" "$WORK/flows/$1/output/run_settings.json" ||
		die "flows/$1/output/run_settings.json does not hold $2=$3: $(cat "$WORK/flows/$1/output/run_settings.json" 2>&1)"
}
# outputs: every flow wrote its output.
expect_outputs() {
	local f
	for f in rpa1/output/customers_normalised.json rpa2/output/portal_values.csv invoice_processing/output/routed_invoices.json report_builder/output/weekly_report.md; do
		[[ -s "$WORK/flows/$f" ]] || die "$1: flows/$f was not written"
	done
	compgen -G "$WORK/flows/rpa3/output/archive_plan_*.yaml" >/dev/null || die "$1: rpa3 wrote no archive plan"
}
clear_outputs() { find "$WORK"/flows/*/output "$UVWORK"/flows/*/output -type f ! -name .gitkeep -delete; }

# smoke ENV TYPE [CHECK [DIR]]: one run of each deployment of the checkout DIR (default: the
# example's), every one Completed; then CHECK (default: every flow wrote its output in the checkout).
smoke() {
	local env="$1" typ="$2" check="${3:-expect_outputs}" dir="${4:-$WORK}" out
	clear_outputs
	log "smoke --env $env --type $typ $dir"
	local t=$SECONDS
	out="$("$BIN" smoke --env "$env" --type "$typ" --timeout 6m --api-url "$API" "$dir")" || { printf '%s\n' "$out"; die "runs of $env ($typ) did not all complete"; }
	printf '%s\n' "$out"
	printf '%s\n' "$out" | awk -v env="$env" -v typ="$typ" '$1 ~ /^(Completed|Failed|Crashed|Cancelled|Scheduled|Pending|Running)$/ {
		name=$2; dur=$4; gsub(/[(),s]/, "", dur); printf "%-12s %-40s %-7s %-10s %6.1fs\n", env, name, typ, $1, dur }' >>"$RESULTS"
	mark "smoke $env $typ${4:+ $(basename "$dir")}" "$t"
	"$check" "$env $typ"
}
# cloned: the remote runs ran in clones of the commit (their outputs are
# in the clones, not in the checkout).
cloned() {
	local n
	n="$(grep -c "Deployment step 'git_clone' completed successfully" "$PREFECT_WORKER_STATE_DIR/remote-agent-pool.log" || true)"
	[[ "$n" -ge 5 ]] || die "$1: $n of 5 runs cloned the repository"
}
smoke development python
expect_setting rpa1 log_level DEBUG
smoke development docker
expect_setting rpa1 log_level DEBUG
smoke staging python
expect_setting rpa1 log_level INFO
smoke staging docker
expect_setting rpa1 log_level INFO
smoke remote python cloned
# uv_report: the image's tabulate is the one uv.lock pins, and the report reached the checkout.
uv_report() {
	local f="$UVWORK/flows/uv_report/output/sales_report.txt"
	[[ -s "$f" ]] || die "$1: flows/uv_report/output/sales_report.txt was not written"
	if ! grep -q '^total ' "$f" || ! grep -qx 'tabulate 0.9.0' "$f"; then
		die "$1: unexpected report: $(cat "$f")"
	fi
}
smoke development docker uv_report "$UVWORK"

log "done"
printf '\nRuns (environment, deployment, type, state, flow run time):\n'
sort "$RESULTS"
total=$(wc -l <"$RESULTS")
completed=$(grep -c ' Completed ' "$RESULTS" || true)
printf '\n%d of %d runs Completed\n' "$completed" "$total"
[[ "$completed" == "$total" && "$total" -ge 26 ]] || die "expected 26 runs, all Completed"
printf '\nImages:\n'
docker images --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E 'worker|prefecthq/prefect|python:3.11' | sort
printf '\nTimings:\n'
printf '  %s\n' "${TIMINGS[@]}"
printf '  total: %ss\n' "$((SECONDS - T0))"
