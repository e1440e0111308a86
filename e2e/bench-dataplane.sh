#!/usr/bin/env bash
# e2e/bench-dataplane.sh — figures for the e2e data plane (prints, asserts nothing):
#   1. cold start through the ingress: a revision scaled to zero, then the time
#      of the first request through Traefik (-> activator -> new pod); median of
#      E2E_BENCH_COLD runs (default 5);
#   2. request throughput to one warm revision, with wrk from inside the
#      namespace, E2E_BENCH_SECONDS each (default 10), 2 threads, 16 connections:
#      through Traefik (Host header) versus straight to the pod IP, both to
#      queue-proxy (:8012) and to the user container (:8080).
# The revisions are the locally made hello image (no registry involved). To
# make scale to zero take seconds instead of minutes, config-autoscaler's
# scale-to-zero-grace-period is set to 6s for the run (and restored), and the
# cold revision has a 6s stable window. Uses the running cluster (starting it
# if needed; it is stopped again only if this script started it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

COLD_RUNS=${E2E_BENCH_COLD:-5}
WRK_SECONDS=${E2E_BENCH_SECONDS:-10}
NS=dp-bench-$(date +%s)   # its own per run: a namespace takes minutes to go

started=1
alive traefik && alive kubelet && started=0
ENV=$(bash "$E2E_DIR/up.sh" | tail -n 1)
# shellcheck disable=SC1090
source "$ENV"
source "$E2E_DIR/lib/dataplane.sh"
command -v wrk >/dev/null || apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends wrk >/dev/null \
  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

old_grace=$(kubectl -n knative-serving get configmap config-autoscaler -o jsonpath='{.data.scale-to-zero-grace-period}')
cleanup() {
  kubectl delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  if [ -n "$old_grace" ]; then
    kubectl -n knative-serving patch configmap config-autoscaler --type merge -p "{\"data\":{\"scale-to-zero-grace-period\":\"$old_grace\"}}" >/dev/null 2>&1 || true
  else
    kubectl -n knative-serving patch configmap config-autoscaler --type merge -p '{"data":{"scale-to-zero-grace-period":null}}' >/dev/null 2>&1 || true
  fi
  [ "$started" = 0 ] || bash "$E2E_DIR/down.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

kubectl -n knative-serving patch configmap config-autoscaler --type merge -p '{"data":{"scale-to-zero-grace-period":"6s"}}' >/dev/null
kubectl create namespace "$NS" >/dev/null
kubectl apply -f - >/dev/null <<EOF
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: cold, namespace: $NS}
spec:
  template:
    metadata:
      name: cold-v1
      annotations: {autoscaling.knative.dev/min-scale: "0", autoscaling.knative.dev/window: "6s"}
    spec:
      containers: [{image: $E2E_HELLO_IMAGE, env: [{name: VERSION, value: cold}]}]
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: warm, namespace: $NS}
spec:
  template:
    metadata:
      name: warm-v1
      # One pod that stays, and the activator out of the path once it is up.
      annotations: {autoscaling.knative.dev/min-scale: "1", autoscaling.knative.dev/max-scale: "1", autoscaling.knative.dev/target-burst-capacity: "0"}
    spec:
      containers: [{image: $E2E_HELLO_IMAGE, env: [{name: VERSION, value: warm}]}]
EOF
wait_for 180 "ksvc cold Ready" ksvc_ready "$NS" cold
wait_for 180 "ksvc warm Ready" ksvc_ready "$NS" warm

pods_of() { kubectl -n "$NS" get pods -l "serving.knative.dev/revision=$1" -o name 2>/dev/null; }
scaled_to_zero() { [ -z "$(pods_of cold-v1)" ]; }

echo "== cold start through Traefik ($E2E_INGRESS, Host $(host_of cold "$NS")), $COLD_RUNS runs"
times=()
for i in $(seq "$COLD_RUNS"); do
  t_wait=$SECONDS
  wait_for 240 "cold-v1 scaled to zero" scaled_to_zero || { echo "  run $i: did not scale to zero in 240s"; continue; }
  t0=$(date +%s%N)
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H "Host: $(host_of cold "$NS")" "http://$E2E_INGRESS/")
  ms=$(ms_since "$t0")
  echo "  run $i: HTTP $code after ${ms} ms (zero reached after $((SECONDS - t_wait))s of waiting)"
  [ "$code" = 200 ] && times+=("$ms")
done
if [ ${#times[@]} -gt 0 ]; then
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}')
  echo "  cold start median: ${median} ms of ${#times[@]} (all: ${times[*]} ms)"
fi

pod_ip=$(kubectl -n "$NS" get pods -l serving.knative.dev/revision=warm-v1 -o jsonpath='{.items[0].status.podIP}')
wait_for 60 "warm-v1 in Serve mode" bash -c "[ \"\$(kubectl -n $NS get sks warm-v1 -o jsonpath='{.spec.mode}')\" = Serve ]" || true
sks_mode=$(kubectl -n "$NS" get sks warm-v1 -o jsonpath='{.spec.mode}')
echo "== throughput to one warm revision (pod $pod_ip, SKS mode $sks_mode), wrk -t2 -c16 -d${WRK_SECONDS}s inside $E2E_NETNS"
run_wrk() {
  local label=$1; shift
  local out rps lat
  out=$(in_ns wrk -t2 -c16 -d"${WRK_SECONDS}s" --timeout 5s "$@" 2>&1) || { echo "  $label: wrk failed: $out"; return; }
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  lat=$(awk '$1 == "Latency" {print $2}' <<<"$out")
  echo "  $label: $rps req/s, mean latency $lat$(grep -q 'Non-2xx' <<<"$out" && echo " ($(grep 'Non-2xx' <<<"$out" | xargs))")"
}
run_wrk "through Traefik        " -H "Host: $(host_of warm "$NS")" "http://$E2E_INGRESS/"
run_wrk "pod IP, queue-proxy    " "http://$pod_ip:8012/"
run_wrk "pod IP, user container " "http://$pod_ip:8080/"
