#!/usr/bin/env bash
# python-base-image.sh — build a minimal Debian + python3 image without any
# public container registry, for PYTHON_IMAGE in the apps' Dockerfiles.
#
# Usage:
#   scripts/python-base-image.sh [--push REGISTRY/REPO:TAG] [--refresh]
#
#   (no flag)   build (or reuse) the image; the LAST line on stdout is the
#               local image reference, e.g. knative-rollout/python-base:bookworm-0123abcd4567ef89
#   --push REF  also tag the image as REF and push it (run `docker login` for
#               that registry first); the LAST line on stdout is then REF.
#   --refresh   ignore the cached rootfs and bootstrap again (new Debian updates).
#
# Everything else (progress, the pushed digest) goes to stderr.
#
# How: mmdebstrap bootstraps a minimal (essential-variant) Debian with python3,
# python3-venv and passwd,
# without docs, man pages or locales; the host's CA bundle is copied to
# /etc/ssl/certs/ca-certificates.crt (TLS-intercepting proxies work, nothing
# is weakened) and PIP_CERT/SSL_CERT_FILE point at it. `docker import` turns
# the tarball into an image with PATH, LANG and CMD ["python3"] set.
# The rootfs tarball is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/knative-rollout/,
# keyed by suite, package list, apt sources and CA bundle, so a warm run only
# re-imports (or finds the image already there) and takes seconds.
#
# Environment:
#   PYTHON_BASE_SUITE     Debian suite (default: this host's codename, else bookworm)
#   PYTHON_BASE_PACKAGES  space-separated packages (default: "python3 python3-venv passwd";
#                         passwd brings useradd/groupadd, which the Dockerfiles use)
#   PYTHON_BASE_SOURCES   apt sources file for mmdebstrap (default: this host's
#                         /etc/apt/sources.list.d/debian.sources when the suite
#                         is the host's own; otherwise mmdebstrap's default mirror)
#   PYTHON_BASE_CA_BUNDLE CA bundle to embed (default /etc/ssl/certs/ca-certificates.crt)
#   DOCKER                docker client to use (default: docker)
# Needs: mmdebstrap, docker (a running daemon), sha256sum; run as root.
# shellcheck disable=SC1091,SC2016  # sourcing os-release; hooks expand inside mmdebstrap
set -euo pipefail

readonly SCRIPT_VERSION=2
log() { printf 'python-base-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

push_ref=""
refresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --push) [ $# -ge 2 ] || die "--push needs REGISTRY/REPO:TAG"; push_ref="$2"; shift 2 ;;
    --push=*) push_ref="${1#--push=}"; shift ;;
    --refresh) refresh=1; shift ;;
    -h|--help) awk 'NR == 1 { next } /^# shellcheck/ || !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

DOCKER="${DOCKER:-docker}"
host_codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
suite="${PYTHON_BASE_SUITE:-${host_codename:-bookworm}}"
packages="${PYTHON_BASE_PACKAGES:-python3 python3-venv passwd}"
ca_bundle="${PYTHON_BASE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
sources="${PYTHON_BASE_SOURCES:-}"
if [ -z "$sources" ] && [ "$suite" = "$host_codename" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
  sources=/etc/apt/sources.list.d/debian.sources
fi

command -v mmdebstrap >/dev/null || die "mmdebstrap not found (apt-get install mmdebstrap)"
command -v "$DOCKER" >/dev/null || die "docker client not found"
"$DOCKER" info >/dev/null 2>&1 || die "docker daemon not reachable (scripts/docker-up.sh starts one)"
[ -r "$ca_bundle" ] || die "CA bundle $ca_bundle not readable"
[ -z "$sources" ] || [ -r "$sources" ] || die "apt sources $sources not readable"

# Cache key: everything that changes the rootfs.
# shellcheck disable=SC2086  # split the list on purpose
sorted_packages="$(printf "%s\n" $packages | sort -u | paste -sd " " -)"
key="$({
  echo "v$SCRIPT_VERSION suite=$suite packages=$sorted_packages arch=$(dpkg --print-architecture)"
  if [ -n "$sources" ]; then cat "$sources"; else echo "default-mirror"; fi
  sha256sum < "$ca_bundle"
} | sha256sum | cut -c1-16)"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/knative-rollout"
tarball="$cache_dir/python-base-$suite-$key.tar"
image="knative-rollout/python-base:$suite-$key"
mkdir -p "$cache_dir"

if [ "$refresh" = 1 ]; then
  rm -f "$tarball"
  "$DOCKER" image rm "$image" >/dev/null 2>&1 || true
fi

if [ ! -s "$tarball" ]; then
  log "bootstrapping Debian $suite with: $sorted_packages (cold run, about a minute)"
  tmp="$(mktemp "$cache_dir/.python-base-XXXXXX.tar")"
  trap 'rm -f "$tmp"' EXIT
  mirror_args=()
  [ -z "$sources" ] || mirror_args=("$sources")
  # --skip=output/mknod: docker import does not need device nodes.
  # essential variant: Essential:yes packages plus the listed ones (no apt,
  # no perl). maybe-merged-usr lays out merged /usr itself instead of
  # installing usrmerge and the perl it drags in.
  mmdebstrap --quiet --variant=essential --format=tar \
    --hook-dir=/usr/share/mmdebstrap/hooks/maybe-merged-usr \
    --aptopt='APT::Install-Recommends "false"' \
    --include="${sorted_packages// /,}" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='mkdir -p "$1/etc/ssl/certs"' \
    --customize-hook="upload $ca_bundle /etc/ssl/certs/ca-certificates.crt" \
    --customize-hook='chroot "$1" python3 -c "import venv, ensurepip, ssl"' \
    --customize-hook='rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/"* "$1/var/log/"*.log' \
    "$suite" "$tmp" "${mirror_args[@]}" </dev/null >&2
  mv "$tmp" "$tarball"
  trap - EXIT
  "$DOCKER" image rm "$image" >/dev/null 2>&1 || true
else
  log "using cached rootfs $tarball"
fi

if ! "$DOCKER" image inspect "$image" >/dev/null 2>&1; then
  log "importing $tarball as $image"
  "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' \
    --message "python-base-image.sh: Debian $suite + $sorted_packages" \
    "$tarball" "$image" >/dev/null
fi

if [ -n "$push_ref" ]; then
  log "pushing $image as $push_ref"
  "$DOCKER" tag "$image" "$push_ref"
  "$DOCKER" push "$push_ref" >&2
  repo="$push_ref"
  case "${push_ref##*/}" in *:*) repo="${push_ref%:*}" ;; esac
  digest="$("$DOCKER" image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$push_ref" \
    | grep -F "$repo@" | head -n1 || true)"
  [ -z "$digest" ] || log "pushed digest: ${digest#*@}"
  echo "$push_ref"
else
  echo "$image"
fi
