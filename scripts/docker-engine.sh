#!/usr/bin/env bash
# docker-engine.sh: a private Docker engine for the end-to-end suite, CI and demos.
#
#   scripts/docker-engine.sh start    # prints DOCKER_HOST=unix://... (the engine to use)
#   scripts/docker-engine.sh env      # prints export DOCKER_HOST=...: eval "$(scripts/docker-engine.sh env)"
#   scripts/docker-engine.sh status   # exit 0 when the engine answers (prints DOCKER_HOST=...)
#   scripts/docker-engine.sh stop     # safe to call when nothing runs
#
# start: when an engine already answers (ours from an earlier start, $DOCKER_HOST, or the
# client's default socket/context) it is reused and nothing else happens. Otherwise, as root:
# installs Debian's docker.io and mmdebstrap with apt when dockerd is missing, records the host
# network state (FORWARD policy, ip_forward, bridge-nf sysctls, existing links), and starts
# dockerd with everything under a state dir: data-root, pidfile, log and its own socket, so it
# never collides with a system daemon. It waits for `docker info` and falls back from overlay2
# to vfs when overlay2 does not work (the driver that worked is remembered for the next start,
# since images stored by one driver are invisible to the other). Images survive stop/start.
# stop: only acts on the dockerd this script started: removes its containers and user-defined
# networks, stops dockerd (waits, SIGKILL after a timeout), then restores the host network as
# it was before start (iptables rules and chains dockerd added, FORWARD policy, ip_forward,
# bridge-nf sysctls, docker0 and br-* links).
#
# Knobs (environment):
#   PREFECTGEN_DOCKER_STATE          state dir (default $REPO/.cache/docker)
#   PREFECTGEN_DOCKER_START_TIMEOUT  seconds to wait for the engine (default 60)
#   PREFECTGEN_DOCKER_STORAGE_DRIVER overlay2 (default) or vfs
#   PREFECTGEN_DOCKER_REUSE=0        never reuse an external engine; always run our own
#
# Progress and errors go to stderr; stdout carries only the DOCKER_HOST line.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${PREFECTGEN_DOCKER_STATE:-$REPO/.cache/docker}"
TIMEOUT="${PREFECTGEN_DOCKER_START_TIMEOUT:-60}"
REUSE="${PREFECTGEN_DOCKER_REUSE:-1}"

log() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

STATE="$(realpath -m -- "$STATE")" # absolute, without creating it (status/env/reuse create nothing)
PIDFILE="$STATE/dockerd.pid"
NETFILE="$STATE/net-before"   # host network state recorded before our first dockerd start
DRIVERFILE="$STATE/storage-driver"
LOGFILE="$STATE/dockerd.log"
DATA_ROOT="$STATE/data"
# dockerd's exec-root holds containerd's sockets: a unix socket path must stay under 108 bytes,
# so it lives in /run under a name derived from the state dir (one per state dir, no collision
# with a system daemon's /run/docker).
EXEC_ROOT="/run/prefectgen-docker-$(printf '%s' "$STATE" | sha256sum | cut -c1-12)"
SOCK="$STATE/docker.sock"
((${#SOCK} < 100)) || SOCK="$EXEC_ROOT.sock"
OUR_HOST="unix://$SOCK"

# Keep the repo's cache out of git without touching the repo's own .gitignore.
[[ -e "$REPO/.cache/.gitignore" ]] || { [[ -d "$REPO/.cache" ]] && printf '*\n' >"$REPO/.cache/.gitignore"; } || true

# lock: serialise start and stop on one state dir (fd 9, released when the script exits).
lock() {
	exec 9>"$STATE/lock"
	flock -w 120 9 || die "another docker-engine.sh has held $STATE/lock for 2 minutes"
}

# answers HOST: exit 0 when the engine at HOST ("" = the client's default) answers.
answers() {
	command -v docker >/dev/null 2>&1 || return 1
	if [[ -n "$1" ]]; then
		DOCKER_HOST="$1" timeout 15 docker info >/dev/null 2>&1
	else
		env -u DOCKER_HOST timeout 15 docker info >/dev/null 2>&1
	fi
}

ours_pid() { # prints the pid of our running dockerd, or fails
	local pid
	[[ -f "$PIDFILE" ]] || return 1
	pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] || return 1
	printf '%s\n' "$pid"
}

# find_engine: sets ENGINE_HOST to a DOCKER_HOST value whose engine answers, else fails.
find_engine() {
	ENGINE_HOST=""
	if ours_pid >/dev/null && answers "$OUR_HOST"; then
		ENGINE_HOST="$OUR_HOST"
		return 0
	fi
	[[ "$REUSE" == 1 ]] || return 1
	if [[ -n "${DOCKER_HOST:-}" ]] && answers "$DOCKER_HOST"; then
		ENGINE_HOST="$DOCKER_HOST"
		return 0
	fi
	if answers ""; then
		# The client's default: report the endpoint it used so the printed value is explicit.
		ENGINE_HOST="$(env -u DOCKER_HOST docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)"
		ENGINE_HOST="${ENGINE_HOST:-unix:///var/run/docker.sock}"
		return 0
	fi
	return 1
}

install_packages() {
	local missing=() p
	command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
	command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
	command -v iptables >/dev/null 2>&1 || missing+=(iptables)
	((${#missing[@]})) || return 0
	command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get: install Docker yourself"
	log "installing ${missing[*]} with apt"
	local t0=$SECONDS created_policy=0
	# Never let the package's init script start a system daemon on /var/run/docker.sock.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		created_policy=1
	fi
	local rc=0
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null; } >&2 || rc=$?
	((created_policy)) && rm -f /usr/sbin/policy-rc.d
	((rc == 0)) || die "apt-get install ${missing[*]} failed"
	for p in dockerd iptables; do command -v "$p" >/dev/null 2>&1 || die "$p still missing after apt-get install"; done
	log "installed in $((SECONDS - t0)) s"
}

sysctl_get() { cat "/proc/sys/$1" 2>/dev/null || true; }

# record_net: the host network state before our first start (kept until stop restores it).
record_net() {
	[[ -f "$NETFILE" ]] && return 0
	local k
	{
		printf 'FORWARD_POLICY=%q\n' "$(iptables -S FORWARD 2>/dev/null | awk '$1=="-P"{print $3; exit}')"
		printf 'IP_FORWARD=%q\n' "$(sysctl_get net/ipv4/ip_forward)"
		for k in iptables ip6tables arptables; do
			printf 'BRIDGE_NF_%s=%q\n' "${k^^}" "$(sysctl_get "net/bridge/bridge-nf-call-$k")"
		done
		# dockerd makes /run/docker/plugins and containerd /run/containerd/s whatever the exec-root.
		printf 'RUN_DOCKER_BEFORE=%q\n' "$([[ -e /run/docker ]] && echo 1 || echo 0)"
		printf 'RUN_CONTAINERD_BEFORE=%q\n' "$([[ -e /run/containerd ]] && echo 1 || echo 0)"
		printf 'LINKS_BEFORE=%q\n' "$(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | tr '\n' ' ')"
	} >"$NETFILE.tmp"
	mv "$NETFILE.tmp" "$NETFILE"
}

# restore_net: undo what dockerd (bridge networking) leaves behind after it exits.
restore_net() {
	[[ -f "$NETFILE" ]] || return 0
	# shellcheck disable=SC2034 # BRIDGE_NF_* are read through ${!c}
	local FORWARD_POLICY="" IP_FORWARD="" BRIDGE_NF_IPTABLES="" BRIDGE_NF_IP6TABLES="" BRIDGE_NF_ARPTABLES="" LINKS_BEFORE="" RUN_DOCKER_BEFORE="" RUN_CONTAINERD_BEFORE=""
	# shellcheck disable=SC1090
	source "$NETFILE"
	local ipt t r c l
	for ipt in iptables ip6tables; do
		command -v "$ipt" >/dev/null 2>&1 || continue
		for t in filter nat; do
			# Rules in the built-in chains that jump to Docker's chains or name its bridges.
			"$ipt" -t "$t" -S 2>/dev/null |
				grep -E -- '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*(DOCKER|docker0|br-[0-9a-f]{12})' |
				while read -r r; do
					# shellcheck disable=SC2086 # the rule is re-split as iptables printed it
					eval "\"\$ipt\" -t \"\$t\" ${r/-A /-D }" 2>/dev/null || true
				done || true # grep finds nothing: nothing to delete
			for c in DOCKER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER; do
				"$ipt" -t "$t" -F "$c" 2>/dev/null || true
			done
			for c in DOCKER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER; do
				"$ipt" -t "$t" -X "$c" 2>/dev/null || true
			done
		done
	done
	if [[ -n "$FORWARD_POLICY" ]]; then iptables -P FORWARD "$FORWARD_POLICY"; fi
	if [[ -n "$IP_FORWARD" ]]; then echo "$IP_FORWARD" >/proc/sys/net/ipv4/ip_forward; fi
	for t in iptables ip6tables arptables; do
		c="BRIDGE_NF_${t^^}"
		if [[ -n "${!c}" && -w "/proc/sys/net/bridge/bridge-nf-call-$t" ]]; then
			echo "${!c}" >"/proc/sys/net/bridge/bridge-nf-call-$t"
		fi
	done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' |
		grep -E '^(docker0|br-[0-9a-f]{12}|veth[0-9a-f]+)$' || true); do
		[[ " $LINKS_BEFORE " == *" $l "* ]] || ip link delete "$l" 2>/dev/null || true
	done
	if [[ "$RUN_DOCKER_BEFORE" == 0 ]]; then rmdir /run/docker/plugins /run/docker 2>/dev/null || true; fi
	if [[ "$RUN_CONTAINERD_BEFORE" == 0 ]]; then rmdir /run/containerd/s /run/containerd 2>/dev/null || true; fi
	rm -f "$NETFILE"
	log "host network restored (FORWARD ${FORWARD_POLICY:-?}, ip_forward=${IP_FORWARD:-?}, docker links removed)"
}

# mounts_under DIR [DIR2]: the mount points below DIR (or DIR2), deepest first.
mounts_under() {
	awk -v a="$1/" -v b="${2:-$1}/" 'index($5, a) == 1 || index($5, b) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# cleanup_run: after dockerd has exited: unmount what it left mounted (dockerd 20.10 leaves
# <exec-root>/netns/default; a killed dockerd leaves overlay and shm mounts) and remove its
# exec-root. Nothing is removed while anything is still mounted below it.
cleanup_run() {
	local m
	for m in $(mounts_under "$EXEC_ROOT" "$DATA_ROOT"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: cannot unmount $m"
	done
	if [[ -d "$EXEC_ROOT" ]]; then
		if [[ -z "$(mounts_under "$EXEC_ROOT")" ]]; then
			rm -rf -- "$EXEC_ROOT"
		else
			log "warning: $EXEC_ROOT still has mounts; left in place"
		fi
	fi
}

# launch DRIVER: start dockerd with DRIVER and wait until it answers; fails (dockerd stopped) if not.
launch() {
	local driver="$1" pid i
	log "starting dockerd (storage driver $driver, data-root $DATA_ROOT, socket $SOCK)"
	mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
	rm -f "$SOCK"
	# setsid: dockerd and its containerd child get their own session, so a terminal's or a
	# CI step's signals to our process group never reach them; stop signals dockerd itself.
	# 9>&-: dockerd must not inherit (and hold forever) the state dir's lock.
	setsid dockerd \
		--host "$OUR_HOST" \
		--data-root "$DATA_ROOT" \
		--exec-root "$EXEC_ROOT" \
		--pidfile "$PIDFILE" \
		--storage-driver "$driver" \
		</dev/null >>"$LOGFILE" 2>&1 9>&- &
	pid=$!
	for ((i = 0; i < TIMEOUT * 2; i++)); do
		if answers "$OUR_HOST"; then
			printf '%s\n' "$driver" >"$DRIVERFILE"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	log "dockerd ($driver) did not answer; last lines of $LOGFILE:"
	tail -n 15 "$LOGFILE" >&2 || true
	stop_dockerd "$pid"
	return 1
}

# stop_dockerd PID: SIGTERM, wait up to 30 s (dockerd stops containers and its containerd), SIGKILL.
stop_dockerd() {
	local pid="$1" i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "dockerd $pid still alive after 30 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		# A killed dockerd does not stop the containerd it started.
		local cpid
		cpid="$(cat "$EXEC_ROOT/containerd/containerd.pid" 2>/dev/null || true)"
		if [[ "$cpid" =~ ^[0-9]+$ && "$(cat "/proc/$cpid/comm" 2>/dev/null)" == containerd ]]; then
			kill -TERM "$cpid" 2>/dev/null || true
			for ((i = 0; i < 100; i++)); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
		fi
	fi
	rm -f "$PIDFILE" "$SOCK"
}

start_engine() {
	if find_engine; then
		if [[ "$ENGINE_HOST" == "$OUR_HOST" ]]; then
			log "already running (pid $(ours_pid))"
		else
			log "reusing the engine at $ENGINE_HOST"
		fi
		printf 'DOCKER_HOST=%s\n' "$ENGINE_HOST"
		return 0
	fi
	[[ $EUID -eq 0 ]] || die "no Docker engine answers and starting one needs root"
	command -v setsid >/dev/null 2>&1 || die "setsid not found (Debian package util-linux)"
	install_packages

	mkdir -p "$STATE"
	# Serialise concurrent starts on one state dir.
	lock
	if ours_pid >/dev/null && answers "$OUR_HOST"; then
		printf 'DOCKER_HOST=%s\n' "$OUR_HOST"
		return 0
	fi
	local pid
	if pid="$(ours_pid)"; then
		log "dockerd $pid is running but does not answer: stopping it"
		stop_dockerd "$pid"
	fi

	record_net
	local t0=$SECONDS driver
	driver="${PREFECTGEN_DOCKER_STORAGE_DRIVER:-$(cat "$DRIVERFILE" 2>/dev/null || echo overlay2)}"
	if ! launch "$driver"; then
		[[ "$driver" != vfs ]] || { restore_net; die "dockerd did not start (see $LOGFILE)"; }
		log "falling back to the vfs storage driver (slower, more disk)"
		launch vfs || { restore_net; die "dockerd did not start (see $LOGFILE)"; }
	fi
	log "ready in $((SECONDS - t0)) s: $(DOCKER_HOST="$OUR_HOST" docker info --format 'server {{.ServerVersion}}, driver {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null)"
	printf 'DOCKER_HOST=%s\n' "$OUR_HOST"
}

stop_engine() {
	local pid
	if pid="$(ours_pid)"; then
		lock
		if answers "$OUR_HOST"; then
			local ids
			ids="$(DOCKER_HOST="$OUR_HOST" docker ps -aq 2>/dev/null || true)"
			if [[ -n "$ids" ]]; then
				log "removing $(wc -w <<<"$ids") container(s)"
				# shellcheck disable=SC2086
				DOCKER_HOST="$OUR_HOST" docker rm -f $ids >/dev/null 2>&1 || true
			fi
			# User-defined networks: dockerd leaves their bridges and iptables rules behind.
			DOCKER_HOST="$OUR_HOST" docker network prune -f >/dev/null 2>&1 || true
		fi
		log "stopping dockerd $pid"
		stop_dockerd "$pid"
		log "stopped"
	else
		log "no dockerd started by this script is running (state $STATE)"
		rm -f "$PIDFILE"
	fi
	cleanup_run
	restore_net
}

status_engine() {
	if find_engine; then
		printf 'DOCKER_HOST=%s\n' "$ENGINE_HOST"
		return 0
	fi
	log "no Docker engine answers"
	return 1
}

env_engine() {
	find_engine || die "no Docker engine answers; run: $0 start"
	printf 'export DOCKER_HOST=%q\n' "$ENGINE_HOST"
}

case "${1:-}" in
start) start_engine ;;
stop) stop_engine ;;
status) status_engine ;;
env) env_engine ;;
*)
	printf 'usage: %s start|stop|status|env\n' "$(basename "$0")" >&2
	exit 2
	;;
esac
