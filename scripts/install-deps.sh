#!/usr/bin/env bash
# install-deps.sh — install what the apps' tests and benchmark need. Idempotent.
#
# Usage: bash scripts/install-deps.sh        (as root; no arguments)
#
# 1. Debian packages (apt-get update + install --no-install-recommends), only
#    when one of them is missing:
#      docker.io        Docker engine (legacy builder) and client
#      docker-registry  the registry the tests push to (started by docker-up.sh)
#      mmdebstrap       builds the offline Python base image
#      wrk              HTTP load generator for bench/app.sh
#      apache2-utils    htpasswd, for the registry's basic auth
#      curl, ca-certificates, iptables
# 2. A Python venv at ./.venv (gitignored) with requirements-dev.txt, rebuilt
#    only when requirements-dev.txt changes.
# Honors the machine's pip configuration (PIP_CERT etc.); TLS checks stay on.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf 'install-deps: %s\n' "$*" >&2; }

packages=(docker.io docker-registry mmdebstrap wrk apache2-utils curl ca-certificates iptables nginx-light)
# A machine that already has a Docker engine (e.g. a CI runner with Docker's own packages) keeps
# it: Debian's docker.io conflicts with those packages.
if command -v dockerd >/dev/null 2>&1 && [ "$(dpkg-query -W -f='${db:Status-Status}' docker.io 2>/dev/null)" != installed ]; then
  kept=()
  for p in "${packages[@]}"; do [ "$p" = docker.io ] || kept+=("$p"); done
  packages=("${kept[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { log "need root to install: ${missing[*]}"; exit 1; }
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
else
  log "Debian packages already installed"
fi

python="${PYTHON:-python3}"
venv="$repo/.venv"
stamp="$venv/.requirements-dev.sha256"
want="$(sha256sum < "$repo/requirements-dev.txt" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log ".venv up to date"
else
  log "creating .venv with requirements-dev.txt"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$repo/requirements-dev.txt"
  echo "$want" > "$stamp"
fi
log "done"
