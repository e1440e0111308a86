# e2e/lib/common.sh — paths, ports and process helpers shared by up.sh,
# down.sh and smoke.sh. Sourced, not run.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$E2E_DIR/.." && pwd)
source "$E2E_DIR/lib/versions.sh"

# Everything a run creates lives under one directory (gitignored by default).
RUN_DIR=${E2E_RUN_DIR:-$E2E_DIR/.run}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
PIDS=$RUN_DIR/pids LOGS=$RUN_DIR/logs PKI=$RUN_DIR/pki
ENV_FILE=$RUN_DIR/env.sh
CUR=$E2E_CACHE/current

# Ports: all on 127.0.0.1, derived from one base so that a second harness (or
# another test suite) can move out of the way with E2E_PORT_BASE. 5000 is
# avoided on purpose: another suite's registry uses it. The base must stay
# below the ephemeral range (32768+ on Linux), where an outgoing connection
# can hold a port just when a daemon wants to bind it.
PORT_BASE=${E2E_PORT_BASE:-21000}
ETCD_PORT=$((PORT_BASE + 379))          # + peer +1, metrics +2
APISERVER_PORT=$((PORT_BASE + 443))
KCM_PORT=$((PORT_BASE + 257))
WEBHOOK_PORT=$((PORT_BASE + 843))       # Knative webhook TLS
WEBHOOK_PROFILING_PORT=$((PORT_BASE + 844))
CONTROLLER_PROFILING_PORT=$((PORT_BASE + 845))
REGISTRY_PORT=$((PORT_BASE + 500))
REGISTRY=127.0.0.1:$REGISTRY_PORT

# Daemons in start order; down.sh stops them in reverse.
DAEMONS=(etcd kube-apiserver kube-controller-manager kn-webhook kn-controller registry buildkitd)

log() { echo "[e2e $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pid_of() { [ -f "$PIDS/$1.pid" ] && cat "$PIDS/$1.pid"; }
alive() { local p; p=$(pid_of "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# start_daemon NAME CMD...: run in its own session (so a Ctrl-C of the caller
# does not kill it), log to logs/NAME.log, remember the PID.
start_daemon() {
  local name=$1; shift
  mkdir -p "$PIDS" "$LOGS"
  setsid "$@" >"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

# fail_with NAME MSG: print the tail of NAME's log, then exit.
fail_with() {
  log "ERROR: $2"
  if [ -f "$LOGS/$1.log" ]; then
    log "last lines of $LOGS/$1.log:"
    tail -n 25 "$LOGS/$1.log" >&2
  fi
  exit 1
}

# wait_until NAME SECONDS CHECK...: poll CHECK every half second; fail with
# NAME's log tail if NAME dies or the time runs out.
wait_until() {
  local name=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || fail_with "$name" "$name exited while waiting for: $*"
    [ "$SECONDS" -lt "$deadline" ] || fail_with "$name" "$name not ready after ${secs}s (waiting for: $*)"
    sleep 0.5
  done
}

# stop_daemon NAME [SECONDS]: SIGTERM, wait (default 10s), then SIGKILL. By PID only.
stop_daemon() {
  local name=$1 secs=${2:-10} pid
  pid=$(pid_of "$name") || return 0
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq $((secs * 4))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) still running ${secs}s after SIGTERM: SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
    log "stopped $name ($pid)"
  fi
  rm -f "$PIDS/$name.pid"
}

port_busy() { ss -Htln "sport = :$1" | grep -q .; }
