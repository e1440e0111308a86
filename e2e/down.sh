#!/usr/bin/env bash
# e2e/down.sh (npm run e2e:down) — stop everything e2e/up.sh started and
# leave nothing of it behind:
#   1. every daemon, by the PID it recorded, in reverse start order (SIGTERM,
#      a grace period, then SIGKILL). Nothing is matched by name, so other
#      people's processes are safe;
#   2. every process left in the harness's cgroup (CGROUP_ROOT in each
#      hierarchy): the pods' containers and containerd's shims, which outlive
#      containerd by design; then those cgroup directories, deepest first;
#   3. every mount under the run dir (kubelet's bind mount of its root dir,
#      pod volumes, container root filesystems, sandbox /dev/shm, pod network
#      namespaces), deepest first; then the node's state (NODE_DIR);
#   4. the network namespace, and with it the veth pair, the pod bridge and
#      every iptables rule kube-proxy and the CNI plugins made (they live in
#      the namespace; the harness adds none to the host);
#   5. the host paths the node writes to regardless of its config, when up.sh
#      saw them made: /run/containerd (shim sockets), /var/lib/kubelet
#      (device-plugin socket), /var/log/containers (log links), /var/lib/cni.
# It ends with a check of all of that and exits non-zero naming what is left.
#
# E2E_WIPE=1 also removes the API server's etcd data and the Pulumi file
# backend's state, so the next up.sh starts a fresh, empty cluster (the e2e
# test does this between steps that need a fresh API server). Kept either way:
# certificates, PULUMI_HOME (installed plugins), the registry's storage (the
# pushed Python base image), BuildKit's cache, and the build cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

stop_daemons() {
  local d
  # Not a DAEMONS member: up.sh runs it only while dockerd pushes the base image.
  stop_daemon registry-forwarder 2
  # All of them (whatever E2E_DATAPLANE says now), at once but for the API
  # server and etcd, which go last (the API server's shutdown waits on etcd):
  # nothing is kept, and one by one took half a minute.
  for d in "${ALL_DAEMONS[@]}"; do
    case $d in
      etcd|kube-apiserver) ;;
      # Knative's servers drain for their full grace period on SIGTERM (for
      # in-cluster load balancers: ~30-40s); nothing here needs draining.
      kn-*) stop_daemon "$d" 2 & ;;
      *) stop_daemon "$d" & ;;
    esac
  done
  wait
  stop_daemon kube-apiserver
  stop_daemon etcd
}

# cgroup_pids: every PID in CGROUP_ROOT's subtree, in any hierarchy.
cgroup_pids() {
  local m
  for m in $(cgroup_mounts); do
    if [ -d "$m$CGROUP_ROOT" ]; then find "$m$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi
  done | sort -un
}

kill_cgroup() {
  local pids i
  for i in $(seq 40); do
    pids=$(cgroup_pids)
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    sleep 0.25
  done
  pids=$(cgroup_pids)
  [ -z "$pids" ] || log "WARNING: processes left in cgroup $CGROUP_ROOT: $pids"
  [ "$i" = 1 ] || log "killed the pods' containers and containerd's shims (cgroup $CGROUP_ROOT)"
}

remove_cgroups() {
  local m
  for m in $(cgroup_mounts); do
    [ -d "$m$CGROUP_ROOT" ] || continue
    # rmdir only: a cgroup directory cannot be removed with rm, and depth
    # first (find -depth) is the order the kernel accepts.
    find "$m$CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ -d "$m$CGROUP_ROOT" ] && log "WARNING: could not remove cgroup $m$CGROUP_ROOT"
  done
  return 0
}

unmount_all() {
  local m i n=0
  for i in 1 2 3; do
    # Mounts can stack (kubelet's root dir is bind-mounted onto itself): repeat.
    while read -r m; do
      [ -n "$m" ] || continue
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
      n=$((n + 1))
    done < <(mounts_under "$RUN_DIR")
    [ -z "$(mounts_under "$RUN_DIR")" ] && break
  done
  [ "$n" = 0 ] || log "unmounted $n mounts under $RUN_DIR"
  [ -z "$(mounts_under "$RUN_DIR")" ]
}

remove_netns() {
  if netns_exists; then
    ip netns del "$NETNS" || log "WARNING: ip netns del $NETNS failed"
    log "deleted network namespace $NETNS"
  fi
  # The host end of the veth goes away asynchronously with the namespace.
  local i
  for i in $(seq 40); do ip link show "$VETH_HOST" >/dev/null 2>&1 || break; sleep 0.25; done
  ip link del "$VETH_HOST" 2>/dev/null || true
}

# The host paths up.sh found missing and the node then made (HOST_DIRS).
remove_host_dirs() {
  [ -f "$HOST_DIRS_FILE" ] || return 0
  local h
  while read -r h; do
    [[ " ${HOST_DIRS[*]} " == *" $h "* ]] || continue   # only the known ones, whatever the file says
    # /run/containerd only while no other containerd uses it (its socket would be there).
    [ "$h" = /run/containerd ] && [ -S /run/containerd/containerd.sock ] && continue
    rm -rf "$h"
  done < "$HOST_DIRS_FILE"
  rm -f "$HOST_DIRS_FILE"
}

# leftovers: what teardown.test.ts checks, in one place, printed one per line.
leftovers() {
  local f p
  for f in "$PIDS"/*.pid; do
    [ -f "$f" ] || continue
    p=$(basename "$f" .pid); alive "$p" && echo "process $p ($(pid_of "$p")) alive"
  done
  [ -n "$(cgroup_pids)" ] && echo "processes in cgroup $CGROUP_ROOT: $(cgroup_pids | tr '\n' ' ')"
  for f in $(cgroup_mounts); do [ -d "$f$CGROUP_ROOT" ] && echo "cgroup $f$CGROUP_ROOT"; done
  mounts_under "$RUN_DIR" | sed 's/^/mount /'
  local c
  for f in /proc/[0-9]*; do
    p=${f#/proc/}
    [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
    c=$(tr '\0' ' ' 2>/dev/null < "$f/cmdline") || continue   # (it may be gone already)
    [[ $c == *"$RUN_DIR/"* ]] && echo "process $p mentions the run dir: ${c:0:160}"
  done
  netns_exists && echo "network namespace $NETNS"
  ip link show "$VETH_HOST" >/dev/null 2>&1 && echo "veth $VETH_HOST"
  return 0
}

main() {
  stop_daemons
  kill_cgroup
  remove_cgroups
  if unmount_all; then
    rm -rf "$NODE_DIR"
  else
    log "WARNING: mounts left under $RUN_DIR; not removing $NODE_DIR"
  fi
  remove_netns
  remove_host_dirs
  rm -f "$RUN_DIR/profile"
  if [ "${E2E_WIPE:-0}" = 1 ]; then
    rm -rf "$RUN_DIR/etcd-data" "$RUN_DIR/state" "$RUN_DIR/kcm-certs"
    log "wiped etcd data and Pulumi state under $RUN_DIR"
  fi
  local left; left=$(leftovers)
  if [ -n "$left" ]; then
    log "ERROR: left behind:"; echo "$left" >&2; exit 1
  fi
}

main "$@"
