#!/usr/bin/env bash
# e2e/down.sh (npm run e2e:down) — stop every process e2e/up.sh started, by
# the PIDs it recorded, in reverse start order (SIGTERM, up to 10s, then
# SIGKILL). Nothing is matched by name, so other people's processes are safe.
#
# E2E_WIPE=1 also removes the API server's etcd data and the Pulumi file
# backend's state, so the next up.sh starts a fresh, empty cluster (the e2e
# test does this between steps that need a fresh API server). Kept either way:
# certificates, PULUMI_HOME (installed plugins), the registry's storage (the
# pushed Python base image), BuildKit's cache, and the build cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

main() {
  local i
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    case ${DAEMONS[i]} in
      # Knative's servers drain for their full grace period on SIGTERM (for
      # in-cluster load balancers); nothing here needs draining.
      kn-webhook|kn-controller) stop_daemon "${DAEMONS[i]}" 2 ;;
      *) stop_daemon "${DAEMONS[i]}" ;;
    esac
  done
  rm -f "$RUN_DIR/profile"
  if [ "${E2E_WIPE:-0}" = 1 ]; then
    rm -rf "$RUN_DIR/etcd-data" "$RUN_DIR/state" "$RUN_DIR/kcm-certs"
    log "wiped etcd data and Pulumi state under $RUN_DIR"
  fi
}

main "$@"
