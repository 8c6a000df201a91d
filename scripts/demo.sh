#!/usr/bin/env bash
# demo.sh: the main job on the bundled example repository, against a throw-away local Prefect
# server: validate and generate the example, then, on a copy of it in .cache/demo, deploy the
# process deployments, run each once through a real process worker and show what they wrote.
# When a Docker engine answers (docker info, or the one scripts/docker-engine.sh started), it also
# builds the images and runs the docker deployments through a docker worker; otherwise it
# deploys them as a dry run and says how to get an engine. Workers and server are always stopped.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$REPO/bin/prefectgen"
EXAMPLE="${EXAMPLE:-$REPO/examples/rpa-platform}"
WORK="$REPO/.cache/demo/rpa-platform"
export PREFECT_SERVER_STATE="$REPO/.cache/demo-server.env"
export PREFECT_WORKER_STATE_DIR="$REPO/.cache/demo-workers"

venv="$(bash "$REPO/scripts/prefect-venv.sh" | tail -n 1)"
export PREFECTGEN_PREFECT="$venv/bin/prefect"

cleanup() {
	bash "$REPO/scripts/prefect-worker.sh" stop >/dev/null 2>&1 || true
	bash "$REPO/scripts/prefect-server.sh" stop >/dev/null 2>&1 || true
}
cleanup
trap cleanup EXIT
bash "$REPO/scripts/prefect-server.sh" start
# shellcheck disable=SC1090
source "$PREFECT_SERVER_STATE"
export PREFECT_API_URL
API="$PREFECT_API_URL"

step() { printf '\n== %s\n' "$*"; }

step "prefectgen validate $EXAMPLE"
"$BIN" validate "$EXAMPLE"

step "prefectgen generate $EXAMPLE"
"$BIN" generate "$EXAMPLE"
"$BIN" generate --check "$EXAMPLE"

# The runs write into the flows' output folders: work on a copy.
rm -rf "$WORK"
mkdir -p "$(dirname "$WORK")"
cp -a "$EXAMPLE" "$WORK"
export PREFECTGEN_IMAGE_TAG=demo

step "prefectgen plan --env development (server $API)"
"$BIN" plan --env development --api-url "$API" "$WORK"

step "prefectgen deploy --env development --type python --create-pools"
"$BIN" deploy --env development --type python --create-pools --api-url "$API" "$WORK"

step "a process worker at the repository root, and one run of each python deployment"
bash "$REPO/scripts/prefect-worker.sh" start default-agent-pool process "$WORK"
"$BIN" smoke --env development --type python --timeout 5m --api-url "$API" "$WORK"
printf '\nWhat the runs wrote:\n'
(cd "$WORK" && find flows/*/output -type f ! -name .gitkeep | sort | sed 's/^/  /')
printf '\nflows/report_builder/output/weekly_report.md:\n'
sed 's/^/  | /' "$WORK/flows/report_builder/output/weekly_report.md" | head -n 12

docker_ok=0
if timeout 10 docker info >/dev/null 2>&1; then
	docker_ok=1
elif env_line="$(bash "$REPO/scripts/docker-engine.sh" env 2>/dev/null)"; then
	eval "$env_line"
	docker_ok=1
fi
if [[ "$docker_ok" == 1 ]]; then
	step "Docker engine: ${DOCKER_HOST:-default}; base images, then the flow images"
	bash "$REPO/scripts/docker-images.sh" "$WORK"
	"$BIN" images build --env development --api-url "$API" "$WORK"
	step "prefectgen deploy --env development --type docker, a docker worker, one run of each"
	"$BIN" deploy --env development --type docker --create-pools --api-url "$API" "$WORK"
	# The image runs as uid 10001; the output folders it writes through
	# its volumes must be writable for it.
	chmod -R a+rwX "$WORK"/flows/*/output
	bash "$REPO/scripts/prefect-worker.sh" start docker-pool docker "$WORK"
	"$BIN" smoke --env development --type docker --timeout 5m --api-url "$API" "$WORK"
else
	step "prefectgen deploy --env development --type docker --dry-run (no Docker engine answers)"
	"$BIN" deploy --env development --type docker --create-pools --dry-run --api-url "$API" "$WORK"
	cat <<EOT

  No Docker engine answers here. To run the docker deployments too, start one and run
  make demo again: as root on Debian or Ubuntu, scripts/docker-engine.sh start installs
  docker.io when it is missing and starts a private engine (scripts/docker-engine.sh stop
  stops it and puts the host's network back as it was).
EOT
fi

step "prefectgen status --env development"
types=(--type python)
[[ "$docker_ok" == 1 ]] && types=(--type all)
"$BIN" status --env development "${types[@]}" --api-url "$API" "$WORK"

step "prefectgen deploy again: nothing to do"
"$BIN" deploy --env development "${types[@]}" --api-url "$API" "$WORK"

step "what to look at"
cat <<EOT
  $EXAMPLE/prefect.yaml            the generated deployments of every environment
  $EXAMPLE/flows/*/Dockerfile      generated images (flows/rpa3 keeps its hand-written one)
  $EXAMPLE/prefect.mk              make targets: cd $EXAMPLE && make prefect-help
  $EXAMPLE/docs/deployments.md     the deployments guide
  $WORK/flows/*/output             what the runs wrote
  The server at $API and its workers are stopped now. Keep a server running with
  scripts/prefect-server.sh start, and a worker with scripts/prefect-worker.sh start.
EOT
