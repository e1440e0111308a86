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

# The network: everything but buildkitd runs inside a network namespace the
# harness makes itself, joined to the host by one veth pair. The host reaches
# the API server, the ingress and the registry at NODE_IP through it; the
# namespace has no default route, so nothing in it can send a packet beyond
# the host end of the veth. Pods get addresses on a bridge inside it.
NETNS=${E2E_NETNS:-knative-rollout-e2e}
NETNS_PATH=/var/run/netns/$NETNS
SUBNET=${E2E_SUBNET:-10.250.0}            # a /24 for the veth pair
NODE_IP=$SUBNET.1                        # namespace end: the node's address
HOST_IP=$SUBNET.2                        # host end
VETH_HOST=${E2E_VETH:-kre2e}0            # interface names (15 bytes at most)
VETH_NS=${E2E_VETH:-kre2e}1
POD_CIDR=10.244.0.0/24                   # pod bridge, inside the namespace only
POD_BRIDGE=e2ebr0
SERVICE_CIDR=10.0.0.0/24
CLUSTER_DOMAIN=cluster.local
NODE_NAME=e2e-node
# Pods' cgroups go under one root of ours in every v1 hierarchy (kubelet's
# cgroupRoot), with containerd and its shims beside them: down.sh removes it.
CGROUP_ROOT=/$NETNS
NODE_DIR=$RUN_DIR/node                   # containerd, kubelet and CNI state (wiped by down.sh)
# Host paths the node writes to whatever it is told: containerd v2's shim
# sockets (/run/containerd/s), kubelet's device-plugin socket and container log
# links, libcni's result cache. up.sh records those it had to create
# (HOST_DIRS_FILE), down.sh removes exactly those.
HOST_DIRS=(/run/containerd /var/lib/kubelet /var/log/containers /var/lib/cni)
HOST_DIRS_FILE=$RUN_DIR/host-dirs-ours

# Ports, derived from one base so that a second harness (or another test
# suite) can move out of the way with E2E_PORT_BASE. Most listen on 127.0.0.1
# or NODE_IP inside the namespace; registry, API server and ingress are on
# NODE_IP. The base must stay below the ephemeral range (32768+ on Linux),
# where an outgoing connection can hold a port just when a daemon wants it.
PORT_BASE=${E2E_PORT_BASE:-21000}
ETCD_PORT=$((PORT_BASE + 379))          # + peer +1, metrics +2
APISERVER_PORT=$((PORT_BASE + 443))
KCM_PORT=$((PORT_BASE + 257))
SCHEDULER_PORT=$((PORT_BASE + 259))
KUBELET_PORT=$((PORT_BASE + 250))
KUBELET_HEALTHZ_PORT=$((PORT_BASE + 248))
PROXY_HEALTHZ_PORT=$((PORT_BASE + 256))
PROXY_METRICS_PORT=$((PORT_BASE + 249))
WEBHOOK_PORT=$((PORT_BASE + 843))       # Knative webhook TLS
WEBHOOK_PROFILING_PORT=$((PORT_BASE + 844))
CONTROLLER_PROFILING_PORT=$((PORT_BASE + 845))
ACTIVATOR_PROFILING_PORT=$((PORT_BASE + 846))
AUTOSCALER_PROFILING_PORT=$((PORT_BASE + 847))
COREDNS_HEALTH_PORT=$((PORT_BASE + 853))
COREDNS_READY_PORT=$((PORT_BASE + 854))
INGRESS_PORT=$((PORT_BASE + 80))        # Traefik's public entry point
INGRESS_LOCAL_PORT=$((PORT_BASE + 81))  # Traefik's cluster-local entry point
TRAEFIK_PING_PORT=$((PORT_BASE + 82))
REGISTRY_PORT=$((PORT_BASE + 500))
REGISTRY=$NODE_IP:$REGISTRY_PORT
# Knative's own fixed ports (activator-service and autoscaler Endpoints).
ACTIVATOR_HTTP_PORT=8012 ACTIVATOR_H2C_PORT=8013 AUTOSCALER_PORT=8080
DOMAIN=example.com
# Should a proxy be configured, the namespace's addresses never go through it.
export NO_PROXY=${NO_PROXY:+$NO_PROXY,}$SUBNET.0/24 no_proxy=${no_proxy:+$no_proxy,}$SUBNET.0/24

# Daemons in start order; down.sh stops them in reverse. All but buildkitd
# run inside the network namespace. E2E_DATAPLANE=0 starts the control plane
# only (no node, no ingress: Revisions are created but never become Ready),
# as the harness did before it had a data plane.
DATAPLANE=${E2E_DATAPLANE:-1}
ALL_DAEMONS=(etcd kube-apiserver kube-controller-manager kube-scheduler kn-webhook kn-controller
  containerd kubelet kube-proxy coredns kn-autoscaler kn-activator traefik registry buildkitd)
NODE_DAEMONS=" containerd kubelet kube-proxy coredns kn-autoscaler kn-activator traefik "
DAEMONS=()
for _d in "${ALL_DAEMONS[@]}"; do
  [ "$DATAPLANE" = 0 ] && [[ $NODE_DAEMONS == *" $_d "* ]] && continue
  DAEMONS+=("$_d")
done
unset _d

log() { echo "[e2e $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A PID file can outlive its process (a machine restart with the run dir kept), and its number
# may then be another process's: each PID is kept with its process's start time (field 22 of
# /proc/PID/stat), and a PID whose process started at another time is not ours.
started_at() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
pid_of() {
  local p
  p=$(cat "$PIDS/$1.pid" 2>/dev/null) && [ -n "$p" ] &&
    [ "$(started_at "$p")" = "$(cat "$PIDS/$1.start" 2>/dev/null)" ] && echo "$p"
}
alive() { local p; p=$(pid_of "$1") && kill -0 "$p" 2>/dev/null; }

# start_daemon NAME CMD...: run in its own session (so a Ctrl-C of the caller
# does not kill it), log to logs/NAME.log, remember the PID.
start_daemon() {
  local name=$1; shift
  mkdir -p "$PIDS" "$LOGS"
  setsid "$@" >"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
  started_at $! > "$PIDS/$name.start" || true
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
  # Not ours (gone, or its number reused): forget it, never signal it.
  pid=$(pid_of "$name") || { rm -f "$PIDS/$name.pid" "$PIDS/$name.start"; return 0; }
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
  rm -f "$PIDS/$name.pid" "$PIDS/$name.start"
}

# Pipes end in "grep PATTERN >/dev/null", never "grep -q": -q exits at the first match, the
# writer may then die of SIGPIPE, and pipefail turns a match into a failure (this made
# up.sh's veth check fail at random right after it had passed).
port_busy() { ss -Htln "sport = :$1" | grep . >/dev/null; }

# in_ns CMD...: run CMD in the harness's network namespace only (nsenter, not
# `ip netns exec`, which remounts /sys and breaks runc's cgroup discovery).
in_ns() { nsenter --net="$NETNS_PATH" "$@"; }
netns_exists() { [ -e "$NETNS_PATH" ] && ip netns list | awk '{print $1}' | grep -x "$NETNS" >/dev/null; }
port_busy_ns() { in_ns ss -Htln "sport = :$1" | grep . >/dev/null; }

# cgroup_mounts: the mount point of every cgroup hierarchy (v1 controllers, named, unified).
cgroup_mounts() { awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts | sort -u; }

# mounts_under DIR: mount points at or below DIR, deepest first.
mounts_under() {
  local dir=$1
  awk -v d="$dir" '{ t = $2; gsub(/\\040/, " ", t); if (t == d || index(t, d "/") == 1) print length(t) "\t" t }' /proc/self/mounts |
    sort -rn | cut -f2- | uniq
}
