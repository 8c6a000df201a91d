#!/usr/bin/env bash
# prefect-worker.sh: run Prefect workers for the demo and the end-to-end run.
#
#   PREFECT_API_URL=... scripts/prefect-worker.sh start POOL TYPE [DIR]
#   scripts/prefect-worker.sh stop [POOL]      # every worker this script started when no POOL
#
# start runs `prefect worker start --pool POOL --type TYPE` (process or docker) from the pinned
# virtualenv (scripts/prefect-venv.sh) in DIR (default: the current folder): a process worker runs
# its flows there, and a docker worker resolves relative volume paths against it. The worker polls
# every second (PREFECT_WORKER_QUERY_SECONDS=1), runs in its own process group with a fresh
# PREFECT_HOME, logs to $STATE_DIR/<pool>.log, and start returns once the server lists it online
# (PREFECT_WORKER_START_TIMEOUT seconds, default 90). stop sends SIGINT to the group (a worker
# ignores SIGTERM while it shuts down), then SIGKILL after 20 s.
# State: $PREFECT_WORKER_STATE_DIR (default $REPO/.cache/workers). Progress goes to stderr.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${PREFECT_WORKER_STATE_DIR:-$REPO/.cache/workers}"
TIMEOUT="${PREFECT_WORKER_START_TIMEOUT:-90}"

log() { printf 'prefect-worker: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

# slug POOL: a file name for a pool.
slug() { printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'; }

stop_one() {
	local pidfile="$1" pgid i
	pgid="$(cat "$pidfile" 2>/dev/null)" || return 0
	if [[ -n "$pgid" ]] && group_alive "$pgid"; then
		kill -INT -- "-$pgid" 2>/dev/null || true
		for ((i = 0; i < 200; i++)); do
			group_alive "$pgid" || break
			sleep 0.1
		done
		if group_alive "$pgid"; then
			log "worker group $pgid still alive after 20 s: SIGKILL"
			kill -KILL -- "-$pgid" 2>/dev/null || true
		fi
	fi
	rm -f -- "$pidfile"
	log "stopped $(basename "$pidfile" .pid)"
}

# online POOL: exit 0 when the server lists a worker of POOL as online.
online() {
	"$PY" - "$PREFECT_API_URL" "$1" <<-'PYEOF'
		import json, sys, urllib.parse, urllib.request
		api, pool = sys.argv[1], sys.argv[2]
		req = urllib.request.Request(api.rstrip("/") + "/work_pools/" + urllib.parse.quote(pool, safe="") + "/workers/filter",
		                             data=b"{}", headers={"Content-Type": "application/json"})
		try:
		    with urllib.request.urlopen(req, timeout=5) as r:
		        sys.exit(0 if any(w.get("status") == "ONLINE" for w in json.load(r)) else 1)
		except Exception:
		    sys.exit(1)
	PYEOF
}

start() {
	local pool="$1" typ="$2" dir="${3:-.}"
	[[ -n "${PREFECT_API_URL:-}" ]] || die "set PREFECT_API_URL to the server the worker serves"
	command -v setsid >/dev/null 2>&1 || die "setsid not found (Debian package util-linux)"
	local venv
	venv="$("$REPO/scripts/prefect-venv.sh" | tail -n 1)"
	PY="$venv/bin/python"
	mkdir -p "$STATE_DIR"
	local name pidfile logf home
	name="$(slug "$pool")"
	pidfile="$STATE_DIR/$name.pid" logf="$STATE_DIR/$name.log" home="$STATE_DIR/$name.home"
	[[ -f "$pidfile" ]] && stop_one "$pidfile"
	rm -rf -- "$home"
	mkdir -p "$home"
	(
		cd "$dir"
		exec env -u PREFECT_PROFILE PREFECT_HOME="$home" PREFECT_WORKER_QUERY_SECONDS=1 \
			PREFECT_WORKER_HEARTBEAT_SECONDS=5 PREFECT_CLI_COLORS=false \
			setsid "$venv/bin/prefect" worker start --pool "$pool" --type "$typ"
	) </dev/null >"$logf" 2>&1 &
	echo $! >"$pidfile"
	local i
	for ((i = 0; i < TIMEOUT * 2; i++)); do
		online "$pool" && { log "$typ worker of $pool online in $dir (log: $logf)"; return 0; }
		group_alive "$(cat "$pidfile")" || break
		sleep 0.5
	done
	tail -n 30 "$logf" >&2 || true
	stop_one "$pidfile"
	die "the $typ worker of $pool did not come online"
}

case "${1:-}" in
start)
	[[ $# -ge 3 ]] || die "usage: prefect-worker.sh start POOL TYPE [DIR]"
	start "$2" "$3" "${4:-.}"
	;;
stop)
	if [[ -n "${2:-}" ]]; then
		stop_one "$STATE_DIR/$(slug "$2").pid"
	else
		for f in "$STATE_DIR"/*.pid; do
			[[ -e "$f" ]] && stop_one "$f"
		done
	fi
	true
	;;
*)
	die "usage: prefect-worker.sh start POOL TYPE [DIR] | stop [POOL]"
	;;
esac
