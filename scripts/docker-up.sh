#!/usr/bin/env bash
# docker-up.sh — start (never install) the Docker engine and a private,
# password-protected registry on 127.0.0.1:5000. Idempotent: what already
# runs is left alone. Run scripts/install-deps.sh first.
#
# Usage: bash scripts/docker-up.sh          (as root; no arguments)
#
# dockerd    started in the background if `docker info` fails; log in
#            $STATE/dockerd.log; waits (at most DOCKER_UP_TIMEOUT s, default 60)
#            until `docker info` works.
# registry   Debian's docker-registry with its own config $STATE/registry/config.yml:
#            listens on 127.0.0.1:5000 only, stores blobs under $STATE/registry/data,
#            basic auth from $STATE/registry/htpasswd (bcrypt). Log in $STATE/registry.log.
#            127.0.0.0/8 registries are plain-HTTP by default for dockerd, so no
#            daemon configuration is needed.
# credentials are written once to the env file
#            $STATE/registry.env   (REGISTRY=127.0.0.1:5000, REGISTRY_USER, REGISTRY_PASSWORD)
#            and kept across runs; the tests read it from there.
# The last line on stdout is REGISTRY_ENV_FILE=<path of that file>.
#
# STATE is ${XDG_STATE_HOME:-$HOME/.local/state}/knative-rollout.
# Environment: DOCKER (client, default docker), DOCKERD (default: dockerd on
# PATH or /usr/sbin/dockerd), DOCKER_UP_TIMEOUT (seconds, default 60).
set -euo pipefail

log() { printf 'docker-up: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

state="${XDG_STATE_HOME:-$HOME/.local/state}/knative-rollout"
DOCKER="${DOCKER:-docker}"
timeout_s="${DOCKER_UP_TIMEOUT:-60}"
registry_addr=127.0.0.1:5000
mkdir -p "$state"
chmod 700 "$state"

# ---- dockerd ----------------------------------------------------------------
if "$DOCKER" info >/dev/null 2>&1; then
  log "dockerd already running"
else
  dockerd="${DOCKERD:-$(command -v dockerd || echo /usr/sbin/dockerd)}"
  [ -x "$dockerd" ] || die "dockerd not found (run scripts/install-deps.sh)"
  # A pid file left by a daemon that was killed: dockerd refuses to start if
  # its pid now belongs to some other process.
  if [ -s /var/run/docker.pid ]; then
    old="$(cat /var/run/docker.pid)"
    [ "$(cat "/proc/$old/comm" 2>/dev/null)" = dockerd ] || rm -f /var/run/docker.pid
  fi
  log "starting $dockerd (log: $state/dockerd.log)"
  # setsid + nohup: the daemon outlives this script and its terminal.
  setsid nohup "$dockerd" >>"$state/dockerd.log" 2>&1 </dev/null &
  echo $! > "$state/dockerd.pid"
  deadline=$((SECONDS + timeout_s))
  until "$DOCKER" info >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$state/dockerd.log" >&2; die "dockerd not ready after ${timeout_s}s"; }
    kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null || { tail -n 20 "$state/dockerd.log" >&2; die "dockerd exited"; }
    sleep 0.5
  done
  log "dockerd ready"
fi

# ---- registry credentials (generated once) ----------------------------------
env_file="$state/registry.env"
htpasswd_file="$state/registry/htpasswd"
mkdir -p "$state/registry/data"
if [ ! -s "$env_file" ] || [ ! -s "$htpasswd_file" ]; then
  command -v htpasswd >/dev/null || die "htpasswd not found (apache2-utils; run scripts/install-deps.sh)"
  user=knative-test
  password="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  htpasswd -Bbn "$user" "$password" > "$htpasswd_file.tmp"
  mv "$htpasswd_file.tmp" "$htpasswd_file"
  umask 077
  printf 'REGISTRY=%s\nREGISTRY_USER=%s\nREGISTRY_PASSWORD=%s\n' "$registry_addr" "$user" "$password" > "$env_file.tmp"
  mv "$env_file.tmp" "$env_file"
  log "generated registry credentials in $env_file"
fi
chmod 600 "$env_file" "$htpasswd_file"
# shellcheck disable=SC1090
. "$env_file"

cat > "$state/registry/config.yml.tmp" <<EOF
# Written by scripts/docker-up.sh
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $state/registry/data
  delete:
    enabled: true
http:
  addr: $registry_addr
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: knative-rollout-registry
    path: $htpasswd_file
EOF
mv "$state/registry/config.yml.tmp" "$state/registry/config.yml"

# ---- registry ---------------------------------------------------------------
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "http://$registry_addr/v2/" || true; }
# Ours only if that pid still runs docker-registry (pids get reused).
registry_pid_alive() {
  [ -s "$state/registry.pid" ] && [ "$(cat "/proc/$(cat "$state/registry.pid")/comm" 2>/dev/null)" = docker-registry ]
}

if [ "$(http_code)" = 401 ] && [ "$(http_code -u "$REGISTRY_USER:$REGISTRY_PASSWORD")" = 200 ]; then
  log "registry already running on $registry_addr"
else
  if registry_pid_alive; then
    log "restarting our registry (it does not accept the current credentials)"
    kill "$(cat "$state/registry.pid")"
    for _ in $(seq 50); do registry_pid_alive || break; sleep 0.1; done
  fi
  [ "$(http_code)" = 000 ] || die "something else answers on $registry_addr (HTTP $(http_code)); stop it first"
  command -v docker-registry >/dev/null || die "docker-registry not found (run scripts/install-deps.sh)"
  log "starting docker-registry on $registry_addr (log: $state/registry.log)"
  setsid nohup docker-registry serve "$state/registry/config.yml" >>"$state/registry.log" 2>&1 </dev/null &
  echo $! > "$state/registry.pid"
  deadline=$((SECONDS + timeout_s))
  until [ "$(http_code)" = 401 ]; do
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$state/registry.log" >&2; die "registry not ready after ${timeout_s}s"; }
    registry_pid_alive || { tail -n 20 "$state/registry.log" >&2; die "docker-registry exited"; }
    sleep 0.2
  done
  [ "$(http_code -u "$REGISTRY_USER:$REGISTRY_PASSWORD")" = 200 ] || die "registry rejects the credentials in $env_file"
  log "registry ready (auth on: anonymous 401, $REGISTRY_USER 200)"
fi

echo "REGISTRY_ENV_FILE=$env_file"
