#!/usr/bin/env bash
# demo.sh: the main job on the bundled example repository, against a
# throw-away local Prefect server: validate, generate, deploy the process
# deployments for real and the docker ones as a dry run (no Docker engine
# here), then check the server. The server is stopped at the end, always.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$REPO/bin/prefectgen"
EXAMPLE="${EXAMPLE:-$REPO/examples/rpa-platform}"
export PREFECT_SERVER_STATE="$REPO/.cache/demo-server.env"

venv="$(bash "$REPO/scripts/prefect-venv.sh" | tail -n 1)"
export PREFECTGEN_PREFECT="$venv/bin/prefect"

bash "$REPO/scripts/prefect-server.sh" stop >/dev/null 2>&1 || true
trap 'bash "$REPO/scripts/prefect-server.sh" stop >/dev/null 2>&1 || true' EXIT
bash "$REPO/scripts/prefect-server.sh" start
# shellcheck disable=SC1090
source "$PREFECT_SERVER_STATE"
API="$PREFECT_API_URL"

step() { printf '\n== %s\n' "$*"; }

step "prefectgen validate $EXAMPLE"
"$BIN" validate "$EXAMPLE"

step "prefectgen generate $EXAMPLE"
"$BIN" generate "$EXAMPLE"
"$BIN" generate --check "$EXAMPLE"

step "prefectgen plan --env development --type python (server $API)"
"$BIN" plan --env development --type python --api-url "$API" "$EXAMPLE"

step "prefectgen deploy --env development --type python --create-pools"
"$BIN" deploy --env development --type python --create-pools --api-url "$API" "$EXAMPLE"

step "prefectgen deploy --env development --type docker --dry-run (no Docker engine on this machine)"
"$BIN" deploy --env development --type docker --create-pools --dry-run --api-url "$API" "$EXAMPLE"

step "prefectgen status --env development --type python"
"$BIN" status --env development --type python --api-url "$API" "$EXAMPLE"

step "prefectgen deploy again: nothing to do"
"$BIN" deploy --env development --type python --api-url "$API" "$EXAMPLE"

step "what to look at"
cat <<EOT
  $EXAMPLE/prefect.yaml            the generated deployments of every environment
  $EXAMPLE/flows/*/Dockerfile      generated images (flows/rpa3 keeps its hand-written one)
  $EXAMPLE/prefect.mk              make targets: cd $EXAMPLE && make prefect-help
  $EXAMPLE/docs/deployments.md     the deployments guide
  The deployments were on $API (listed above with their UI links); the
  server is stopped now. Keep one running with: scripts/prefect-server.sh start
EOT
