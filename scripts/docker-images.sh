#!/usr/bin/env bash
# docker-images.sh: build the base images the flow Dockerfiles start FROM, locally, never
# from a container registry (none is reachable on the CI machines).
#
#   scripts/docker-images.sh                 # python:3.11-slim + the pinned prefecthq/prefect stand-in
#   scripts/docker-images.sh examples/rpa-platform ...
#                                            # also every prefecthq/prefect:<ver>-python3.11 that the
#                                            # Dockerfiles under these paths name in FROM lines
#   PREFECTGEN_IMAGES_FORCE=1 scripts/docker-images.sh   # rebuild the stand-ins even when present
#
# Images (each skipped when it already exists, so a warm run takes about a second):
#   python:3.11-slim  Debian bookworm's python3 (3.11) made with mmdebstrap (minbase, merged /usr)
#       and `docker import`: python3, pip, venv, ca-certificates, `python`; no PEP 668 marker, so
#       pip installs system-wide like in the official image; the machine's extra CA certificates
#       (/usr/local/share/ca-certificates) are trusted, and PIP_CERT, SSL_CERT_FILE and
#       REQUESTS_CA_BUNDLE point at the system bundle, so pip and httpx inside builds and flow
#       runs trust an intercepting HTTPS path to the package index.
#   prefecthq/prefect:<ver>-python3.11  FROM the above: like the official image, WORKDIR
#       /opt/prefect, LC_ALL/LANG C.UTF-8, prefect==<ver> installed system-wide (prefect on PATH),
#       runs as root, ENTRYPOINT tini -g -- /opt/prefect/entrypoint.sh (EXTRA_PIP_PACKAGES, then
#       exec "$@"), uv (UV_SYSTEM_PYTHON=1). Not included: build-essential and git. A non-root
#       user with a writable home/PREFECT_HOME is the flow Dockerfile's job, as with the real image.
#       <ver> defaults to the pin in scripts/requirements-prefect.txt.
# Images this script made carry the label org.prefectgen.stand-in=<recipe hash>; one whose
# recipe changed is rebuilt. An image of the same name without that label (a real one pulled
# from a registry) is never replaced.
#
# Needs a Docker engine (DOCKER_HOST, the default socket, or scripts/docker-engine.sh start),
# root and a Debian mirror for mmdebstrap (installed with apt when missing), PyPI.
# Knobs: MIRROR (Debian mirror URL; default: the one apt uses), SECURITY_MIRROR, SUITE (bookworm),
# UV_VERSION, PREFECTGEN_DOCKER_STATE (holds debs/, the .deb cache; default $REPO/.cache/docker).
# Progress, timings and sizes go to stderr.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$REPO/scripts/requirements-prefect.txt"
SUITE="${SUITE:-bookworm}" # bookworm's python3 is 3.11
PY_IMAGE="python:3.11-slim"
FORCE="${PREFECTGEN_IMAGES_FORCE:-0}"
LABEL_KEY="org.prefectgen.stand-in"
UV_VERSION="${UV_VERSION:-0.13.9}"
# Downloaded .deb files are kept here between runs (mmdebstrap sync-in/sync-out): a rebuild
# of the python image then needs no package downloads (measured: 35 s instead of 75 s).
DEB_CACHE="${PREFECTGEN_DOCKER_STATE:-$REPO/.cache/docker}/debs"

log() { printf 'docker-images: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

sha() { sha256sum | cut -c1-16; }

# --- the engine --------------------------------------------------------------------
if ! timeout 15 docker info >/dev/null 2>&1; then
	env_line="$("$REPO/scripts/docker-engine.sh" env 2>/dev/null)" ||
		die "no Docker engine answers; run: scripts/docker-engine.sh start"
	eval "$env_line"
fi
log "engine: ${DOCKER_HOST:-default} ($(docker info --format '{{.ServerVersion}}, {{.Driver}}' 2>/dev/null))"

# --- the prefect versions to provide -------------------------------------------------
PINNED="$(sed -n 's/^[[:space:]]*prefect[[:space:]]*==[[:space:]]*\([0-9][0-9A-Za-z.+-]*\).*/\1/p' "$REQ" | head -n 1)"
[[ -n "$PINNED" ]] || die "no 'prefect==<version>' line in $REQ"
VERSIONS=("$PINNED")
for path in "$@"; do
	[[ -e "$path" ]] || die "no such path: $path"
	while IFS= read -r tag; do
		ver="${tag%-python*}" py="${tag##*-python}"
		if [[ "$py" != 3.11 || "$tag" != *-python* ]]; then
			log "warning: prefecthq/prefect:$tag is not a <version>-python3.11 tag; bookworm has only Python 3.11: skipped"
			continue
		fi
		[[ " ${VERSIONS[*]} " == *" $ver "* ]] || VERSIONS+=("$ver")
	done < <(find "$path" -name '*Dockerfile*' -type f -not -path '*/.git/*' -print0 |
		xargs -0 -r sed -n 's/^[[:space:]]*[Ff][Rr][Oo][Mm][[:space:]]\{1,\}\(--[^[:space:]]*[[:space:]]\{1,\}\)*prefecthq\/prefect:\([^[:space:]]*\).*/\2/p' |
		sort -u)
done

# state IMAGE RECIPE: "ours" (up to date), "stale" (ours, other recipe), "foreign", or "missing".
state() {
	local label
	label="$(docker image inspect --format "{{index .Config.Labels \"$LABEL_KEY\"}}" "$1" 2>/dev/null)" ||
		{ echo missing; return; }
	case "$label" in
	"$2") echo ours ;;
	"" | "<no value>") echo foreign ;;
	*) echo stale ;;
	esac
}

# needed IMAGE RECIPE: exit 0 when IMAGE must be built.
needed() {
	local s
	s="$(state "$1" "$2")"
	case "$s" in
	ours) [[ "$FORCE" == 1 ]] && return 0; log "$1: present"; return 1 ;;
	foreign) log "$1: present (not built by this script; kept)"; return 1 ;;
	stale) log "$1: recipe changed: rebuilding"; return 0 ;;
	*) return 0 ;;
	esac
}

# remove_replaced ID: drop the image a rebuild replaced, when nothing uses it any more.
remove_replaced() {
	[[ -n "$1" ]] || return 0
	[[ "$(docker image inspect --format '{{len .RepoTags}}' "$1" 2>/dev/null)" == 0 ]] || return 0
	docker image rm "$1" >/dev/null 2>&1 || true
}

# --- python:3.11-slim with mmdebstrap ------------------------------------------------
PKGS="python3,python3-pip,python3-venv,python-is-python3,ca-certificates"
CA_SUM="$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha)"

build_python() {
	local t0=$SECONDS mirror security old
	old="$(docker image inspect --format '{{.Id}}' "$PY_IMAGE" 2>/dev/null || true)"
	if ! command -v mmdebstrap >/dev/null 2>&1; then
		[[ $EUID -eq 0 ]] || die "mmdebstrap is missing (apt-get install mmdebstrap as root)"
		log "installing mmdebstrap with apt"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; } >&2 ||
			die "apt-get install mmdebstrap failed"
	fi
	[[ $EUID -eq 0 ]] || die "mmdebstrap --mode=root needs root"
	# Debian's mirrors as apt uses them here (deb822 or one-line sources).
	mirror="${MIRROR:-$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)}"
	mirror="${mirror:-$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)}"
	mirror="${mirror:-http://deb.debian.org/debian}"
	security="${SECURITY_MIRROR:-$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian-security\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)}"
	security="${security:-$(awk '$1=="deb" && $2 ~ /\/debian-security\/?$/ {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)}"
	local sources=("deb $mirror $SUITE main" "deb $mirror $SUITE-updates main")
	[[ -n "$security" ]] && sources+=("deb $security $SUITE-security main")
	log "$PY_IMAGE: mmdebstrap $SUITE from $mirror${security:+ (+ $security)}"
	local tmp
	tmp="$(mktemp -d "${TMPDIR:-/tmp}/prefectgen-rootfs.XXXXXX")"
	# shellcheck disable=SC2064
	trap "rm -rf -- '$tmp'" EXIT
	mkdir -p "$DEB_CACHE"
	# The merged-usr hook uses usr-is-merged like debootstrap (the usrmerge package pulls perl).
	# skip=essential/unlink keeps the essential packages' .debs for the cache; the cache is
	# refreshed with exactly the .debs this build used. The other customize hooks copy in this
	# machine's extra CAs and drop apt lists and the PEP 668 marker; docs, man pages and
	# locales are never unpacked. "$1" in the hooks is mmdebstrap's, not ours:
	# shellcheck disable=SC2016
	if ! mmdebstrap --verbose --variant=minbase --mode=root \
		--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		--skip=essential/unlink \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in '$DEB_CACHE' /var/cache/apt/archives/" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		--include="$PKGS" \
		--customize-hook='for f in /usr/local/share/ca-certificates/*.crt; do [ -e "$f" ] && cp "$f" "$1/usr/local/share/ca-certificates/"; done; chroot "$1" update-ca-certificates >/dev/null' \
		--customize-hook="find '$DEB_CACHE' -maxdepth 1 -name '*.deb' -delete" \
		--customize-hook="sync-out /var/cache/apt/archives '$DEB_CACHE'" \
		--customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED; rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/apt/* "$1"/var/log/dpkg.log' \
		"$SUITE" "$tmp/rootfs.tar" "${sources[@]}" >"$tmp/mmdebstrap.log" 2>&1; then
		tail -n 30 "$tmp/mmdebstrap.log" >&2
		die "mmdebstrap failed"
	fi
	log "$PY_IMAGE: rootfs made in $((SECONDS - t0)) s ($(find "$DEB_CACHE" -name '*.deb' | wc -l) .debs cached in $DEB_CACHE)"
	docker import \
		-c 'ENV LANG=C.UTF-8' \
		-c 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
		-c 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
		-c 'ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' \
		-c "LABEL $LABEL_KEY=$PY_RECIPE" \
		-c 'CMD ["python3"]' \
		"$tmp/rootfs.tar" "$PY_IMAGE" >/dev/null
	rm -rf -- "$tmp"
	trap - EXIT
	docker run --rm --network none "$PY_IMAGE" python -c 'import ssl, sys, venv; print(sys.version.split()[0])' >/dev/null ||
		die "$PY_IMAGE does not run python"
	remove_replaced "$old"
	log "$PY_IMAGE: built in $((SECONDS - t0)) s"
}

# --- prefecthq/prefect:<ver>-python3.11 ------------------------------------------------
# The build context: a Dockerfile and the entrypoint, both written here.
CTX_DOCKERFILE="$(
	cat <<'EOF'
# Local stand-in for prefecthq/prefect:<ver>-python3.11 (see scripts/docker-images.sh).
FROM python:3.11-slim
ARG PREFECT_VERSION
ARG RECIPE
LABEL org.prefectgen.stand-in=$RECIPE io.prefect.python-version=3.11
ARG UV_VERSION
ARG EXCLUDE_NEWER
ENV LC_ALL=C.UTF-8 LANG=C.UTF-8 UV_LINK_MODE=copy UV_SYSTEM_PYTHON=1
WORKDIR /opt/prefect
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tini >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log
# uv, as in the official image: it installs prefect in about a third of pip's time. The
# bytecode is compiled at build time (UV_COMPILE_BYTECODE=1, as upstream), so containers
# running as a non-root user never recompile prefect on import.
RUN python -m pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
      "uv==${UV_VERSION}" \
 && UV_COMPILE_BYTECODE=1 uv pip install --no-cache --quiet ${EXCLUDE_NEWER:+--exclude-newer "$EXCLUDE_NEWER"} \
      "prefect==${PREFECT_VERSION}" \
 && prefect version >/dev/null
COPY entrypoint.sh /opt/prefect/entrypoint.sh
ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/opt/prefect/entrypoint.sh"]
EOF
)"
CTX_ENTRYPOINT="$(
	cat <<'EOF'
#!/usr/bin/env bash
# Like the official image's entrypoint: EXTRA_PIP_PACKAGES, then the command (default: bash).
set -e
if [ -f ~/.bashrc ]; then . ~/.bashrc; fi
if [ -n "$EXTRA_PIP_PACKAGES" ]; then
  echo "+pip install $EXTRA_PIP_PACKAGES"
  pip install $EXTRA_PIP_PACKAGES
fi
if [ -z "$*" ]; then exec bash --login; fi
exec "$@"
EOF
)"

# cutoff VERSION: one day after prefect VERSION was uploaded to PyPI (RFC 3339), or nothing.
# Dependencies are resolved as of then, as when the official image was built: older releases
# do not install with today's dependency versions (prefect 3.4.11 + today's packages lacks
# importlib_metadata), and the result no longer changes from one day to the next.
cutoff() {
	python3 - "$1" <<-'PY' 2>/dev/null || true
		import datetime, json, sys, urllib.request
		req = urllib.request.Request("https://pypi.org/simple/prefect/",
		    headers={"Accept": "application/vnd.pypi.simple.v1+json"})
		with urllib.request.urlopen(req, timeout=30) as r:
		    files = json.load(r)["files"]
		times = [f["upload-time"] for f in files
		         if f["filename"] in (f"prefect-{sys.argv[1]}.tar.gz", f"prefect-{sys.argv[1]}-py3-none-any.whl")]
		t = datetime.datetime.fromisoformat(max(times).replace("Z", "+00:00")) + datetime.timedelta(days=1)
		print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))
	PY
}

build_prefect() {
	local ver="$1" recipe="$2" image="prefecthq/prefect:$1-python3.11" t0=$SECONDS ctx old
	local exclude_newer
	exclude_newer="$(cutoff "$ver")"
	if [[ -n "$exclude_newer" ]]; then
		log "$image: installing prefect==$ver from PyPI, dependencies as of $exclude_newer"
	else
		log "warning: $image: no upload time for prefect==$ver on PyPI; dependencies as of today"
	fi
	old="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
	ctx="$(mktemp -d "${TMPDIR:-/tmp}/prefectgen-ctx.XXXXXX")"
	printf '%s\n' "$CTX_DOCKERFILE" >"$ctx/Dockerfile"
	printf '%s\n' "$CTX_ENTRYPOINT" >"$ctx/entrypoint.sh"
	chmod 755 "$ctx/entrypoint.sh"
	local rc=0
	# DOCKER_BUILDKIT=0: the engine's classic builder; no buildx plugin is needed.
	DOCKER_BUILDKIT=0 docker build -q --force-rm --build-arg PREFECT_VERSION="$ver" --build-arg RECIPE="$recipe" \
		--build-arg UV_VERSION="$UV_VERSION" --build-arg EXCLUDE_NEWER="$exclude_newer" \
		-t "$image" "$ctx" >/dev/null || rc=$?
	rm -rf -- "$ctx"
	((rc == 0)) || die "building $image failed"
	remove_replaced "$old"
	log "$image: built in $((SECONDS - t0)) s"
}

# One run at a time per state dir (parallel CI jobs on one engine).
mkdir -p "$(dirname "$DEB_CACHE")"
exec 8>"$(dirname "$DEB_CACHE")/images.lock"
flock -w 1800 8 || die "another docker-images.sh has run for 30 minutes"

# The recipes: what a change of makes an image stale (the build code itself included).
PY_RECIPE="$(printf '%s\n' "$SUITE" "$PKGS" "$CA_SUM" "$(declare -f build_python)" | sha)"
T0=$SECONDS
if needed "$PY_IMAGE" "$PY_RECIPE"; then
	build_python
fi
PY_ID="$(docker image inspect --format '{{.Id}}' "$PY_IMAGE")"
for ver in "${VERSIONS[@]}"; do
	# The recipe covers the base it builds on: a new python image means new stand-ins.
	recipe="$(printf '%s\n' "$CTX_DOCKERFILE" "$CTX_ENTRYPOINT" "$ver" "$UV_VERSION" "$PY_ID" \
		"$(declare -f build_prefect cutoff)" | sha)"
	if needed "prefecthq/prefect:$ver-python3.11" "$recipe"; then
		build_prefect "$ver" "$recipe"
	fi
done
log "done in $((SECONDS - T0)) s"
{
	docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' "$PY_IMAGE"
	for ver in "${VERSIONS[@]}"; do
		docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' "prefecthq/prefect:$ver-python3.11"
	done
} >&2
