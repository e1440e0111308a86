# e2e/lib/dataplane.sh — helpers for talking to the data plane from the host,
# shared by smoke.sh and bench-dataplane.sh. Sourced, not run; needs the env
# file (E2E_INGRESS, E2E_DOMAIN, E2E_NETNS, KUBECONFIG) in the environment.
# Every request loop here is bounded in count and in time (curl --max-time).

# host_of SERVICE NAMESPACE [TAG]: the Host header Traefik routes on.
host_of() {
  if [ -n "${3:-}" ]; then echo "$3-$1.$2.$E2E_DOMAIN"; else echo "$1.$2.$E2E_DOMAIN"; fi
}

# fetch HOST [ADDR]: one request through the ingress (default E2E_INGRESS); prints the body.
fetch() {
  curl -sS --max-time 10 -H "Host: $1" "http://${2:-$E2E_INGRESS}/"
}

# count_split HOST N [ADDR]: N sequential requests; prints "<count> <body>"
# lines, most frequent first. Failed requests count as "ERROR". It first lets
# Traefik apply the latest KIngress (Knative reports Ready when Traefik has
# received it, up to providersThrottleDuration before it routes by it).
count_split() {
  local host=$1 n=$2 addr=${3:-$E2E_INGRESS} i
  sleep "${E2E_SETTLE_SECONDS:-1}"
  for ((i = 0; i < n; i++)); do
    curl -s --max-time 10 -H "Host: $host" "http://$addr/" || echo ERROR
    echo
  done | sed '/^$/d' | sort | uniq -c | sort -rn
}

# count_of WORD: from count_split's output on stdin, the count of lines whose body contains WORD.
count_of() { awk -v w="$1" 'index($0, w) { n += $1 } END { print n + 0 }'; }

# ksvc_ready NS NAME: the Knative Service is Ready for its latest generation.
ksvc_ready() {
  local s
  s=$(kubectl -n "$1" get ksvc "$2" -o jsonpath='{.status.observedGeneration}/{.metadata.generation}/{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) || return 1
  [ "${s%%/*}" = "$(echo "$s" | cut -d/ -f2)" ] && [ "${s##*/}" = True ]
}

# wait_for SECONDS WHAT CMD...: poll CMD every half second, bounded.
wait_for() {
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "timed out after ${secs}s waiting for $what" >&2; return 1; }
    sleep 0.5
  done
}

# revision_ready NS NAME
revision_ready() {
  [ "$(kubectl -n "$1" get revision "$2" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# ms_since START_NS: milliseconds since a `date +%s%N` reading.
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
