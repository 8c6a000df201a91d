#!/usr/bin/env bash
# prefect-server.sh: run a throw-away local Prefect server for tests and demos.
#
#   scripts/prefect-server.sh start    # prints PREFECT_API_URL=http://127.0.0.1:PORT/api
#   scripts/prefect-server.sh status   # exit 0 when the recorded server answers /api/health
#   scripts/prefect-server.sh stop     # safe to call when nothing runs
#
# start: installs/reuses the pinned Prefect venv (scripts/prefect-venv.sh), picks a free
# 127.0.0.1 port, makes a fresh temporary PREFECT_HOME (SQLite database inside it), runs
# `prefect server start` in its own session/process group (setsid) with the UI and analytics
# off, waits for GET /api/health (PREFECT_SERVER_START_TIMEOUT seconds, default 90) and
# writes a sourceable state file ($PREFECT_SERVER_STATE, default $REPO/.cache/prefect-server.env):
#   PREFECT_SERVER_PID=.. PREFECT_SERVER_PGID=.. PREFECT_SERVER_PORT=..
#   PREFECT_API_URL=http://127.0.0.1:PORT/api PREFECT_SERVER_HOME=.. PREFECT_SERVER_LOG=..
# If the state file names a healthy server already, start just prints its URL.
# stop: kills the whole process group, waits, removes the temporary home and the state file.
#
# Progress goes to stderr; start's stdout is only the PREFECT_API_URL=... line.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${PREFECT_SERVER_STATE:-$REPO/.cache/prefect-server.env}"
TIMEOUT="${PREFECT_SERVER_START_TIMEOUT:-90}"
MARKER=".prefectgen-server-home" # marks a home this script made, so stop only removes those

log() { printf 'prefect-server: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# pgid_of PID: the process group of PID, read from /proc (no dependency on procps).
pgid_of() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
	stat="${stat##*) }" # drop "pid (comm) ", comm may contain spaces
	# shellcheck disable=SC2086
	set -- $stat # state ppid pgrp ...
	printf '%s\n' "$3"
}

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

# health URL -> exit 0 when GET URL/health answers 200
health() {
	"$PY" - "$1" <<-'EOF'
		import sys, urllib.request
		try:
		    with urllib.request.urlopen(sys.argv[1] + "/health", timeout=2) as r:
		        sys.exit(0 if r.status == 200 else 1)
		except Exception:
		    sys.exit(1)
	EOF
}

load_state() {
	PREFECT_SERVER_PID="" PREFECT_SERVER_PGID="" PREFECT_SERVER_HOME="" PREFECT_API_URL=""
	[[ -f "$STATE" ]] || return 1
	# shellcheck disable=SC1090
	source "$STATE"
}

venv_python() {
	local venv
	venv="$("$REPO/scripts/prefect-venv.sh" | tail -n 1)"
	VENV="$venv"
	PY="$venv/bin/python"
}

stop_server() {
	if ! load_state; then
		log "no state file at $STATE: nothing to stop"
		return 0
	fi
	local pgid="${PREFECT_SERVER_PGID:-$PREFECT_SERVER_PID}"
	if [[ -n "$pgid" ]] && group_alive "$pgid"; then
		log "stopping process group $pgid"
		kill -TERM -- "-$pgid" 2>/dev/null || true
		local i
		for ((i = 0; i < 100; i++)); do # 10 s for a clean shutdown
			group_alive "$pgid" || break
			sleep 0.1
		done
		if group_alive "$pgid"; then
			log "process group $pgid still alive after 10 s: SIGKILL"
			kill -KILL -- "-$pgid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				group_alive "$pgid" || break
				sleep 0.1
			done
		fi
	fi
	if [[ -n "$PREFECT_SERVER_HOME" && -f "$PREFECT_SERVER_HOME/$MARKER" ]]; then
		rm -rf -- "$PREFECT_SERVER_HOME"
	fi
	rm -f -- "$STATE"
	log "stopped"
}

# launch PORT HOME LOG: start the server in a new session; sets SERVER_PID.
launch() {
	local port="$1" home="$2" logf="$3"
	(
		cd "$home"
		# A non-interactive shell's background child is not a group leader, so setsid
		# does not fork: the pid below is the server's and it leads its own group.
		exec env -u PREFECT_API_KEY -u PREFECT_PROFILE \
			PREFECT_HOME="$home" \
			PREFECT_API_URL="http://127.0.0.1:$port/api" \
			PREFECT_SERVER_ANALYTICS_ENABLED=false \
			PREFECT_SERVER_UI_ENABLED=false \
			PREFECT_CLI_COLORS=false \
			setsid "$VENV/bin/prefect" server start \
			--host 127.0.0.1 --port "$port" --no-ui --analytics-off
	) </dev/null >"$logf" 2>&1 &
	SERVER_PID=$!
}

start_server() {
	command -v setsid >/dev/null 2>&1 || die "setsid not found (Debian package util-linux)"
	venv_python

	if load_state; then
		if [[ -n "$PREFECT_SERVER_PID" ]] && kill -0 "$PREFECT_SERVER_PID" 2>/dev/null &&
			health "$PREFECT_API_URL"; then
			log "already running (pid $PREFECT_SERVER_PID)"
			printf 'PREFECT_API_URL=%s\n' "$PREFECT_API_URL"
			return 0
		fi
		log "stale state file $STATE: cleaning up"
		stop_server
	fi
	mkdir -p "$(dirname "$STATE")"
	# Keep the repo's cache out of git without touching the repo's own .gitignore.
	[[ -e "$REPO/.cache/.gitignore" ]] || { [[ -d "$REPO/.cache" ]] && printf '*\n' >"$REPO/.cache/.gitignore"; } || true

	local t0 attempt port home logf api pgid i rc
	t0="$(now)"
	for attempt in 1 2 3; do
		port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
		home="$(mktemp -d "${TMPDIR:-/tmp}/prefect-home.XXXXXX")"
		: >"$home/$MARKER"
		logf="$home/server.log"
		api="http://127.0.0.1:$port/api"
		launch "$port" "$home" "$logf"

		# Wait until the child has become its own group leader (setsid done).
		pgid=""
		for ((i = 0; i < 50; i++)); do
			pgid="$(pgid_of "$SERVER_PID" || true)"
			[[ "$pgid" == "$SERVER_PID" ]] && break
			sleep 0.05
		done
		[[ "$pgid" == "$SERVER_PID" ]] || pgid="$SERVER_PID" # exited already; handled below

		# Record state before waiting so `stop` can clean up even if we are interrupted.
		{
			printf 'PREFECT_SERVER_PID=%q\n' "$SERVER_PID"
			printf 'PREFECT_SERVER_PGID=%q\n' "$pgid"
			printf 'PREFECT_SERVER_PORT=%q\n' "$port"
			printf 'PREFECT_API_URL=%q\n' "$api"
			printf 'PREFECT_SERVER_HOME=%q\n' "$home"
			printf 'PREFECT_SERVER_LOG=%q\n' "$logf"
		} >"$STATE.tmp"
		mv "$STATE.tmp" "$STATE"

		log "starting prefect server (pid $SERVER_PID) on $api, PREFECT_HOME=$home"
		rc=0
		"$PY" - "$api" "$SERVER_PID" "$TIMEOUT" <<-'EOF' || rc=$?
			import os, sys, time, urllib.request
			api, pid, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
			deadline = time.monotonic() + timeout
			while time.monotonic() < deadline:
			    try:
			        with urllib.request.urlopen(api + "/health", timeout=2) as r:
			            if r.status == 200:
			                sys.exit(0)
			    except Exception:
			        pass
			    try:
			        os.kill(pid, 0)
			    except ProcessLookupError:
			        sys.exit(2)  # the server exited
			    time.sleep(0.25)
			sys.exit(1)
		EOF
		if [[ $rc -eq 0 ]]; then
			log "healthy after $(elapsed "$t0") s"
			printf 'PREFECT_API_URL=%s\n' "$api"
			return 0
		fi
		if [[ $rc -eq 2 ]] && grep -qi 'address already in use' "$logf" && [[ $attempt -lt 3 ]]; then
			log "port $port was taken meanwhile; retrying with another port"
			stop_server
			continue
		fi
		if [[ $rc -eq 2 ]]; then
			log "the server exited before becoming healthy; last lines of $logf:"
		else
			log "no healthy answer from $api/health within $TIMEOUT s; last lines of $logf:"
		fi
		tail -n 40 "$logf" >&2 || true
		stop_server
		exit 1
	done
}

status_server() {
	load_state || { log "not running (no $STATE)"; return 1; }
	venv_python
	if kill -0 "$PREFECT_SERVER_PID" 2>/dev/null && health "$PREFECT_API_URL"; then
		printf 'PREFECT_API_URL=%s\n' "$PREFECT_API_URL"
		return 0
	fi
	log "recorded server (pid $PREFECT_SERVER_PID, $PREFECT_API_URL) is not healthy"
	return 1
}

case "${1:-}" in
start) start_server ;;
stop) stop_server ;;
status) status_server ;;
*)
	printf 'usage: %s start|stop|status\n' "$(basename "$0")" >&2
	exit 2
	;;
esac
