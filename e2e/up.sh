#!/usr/bin/env bash
# e2e/up.sh (npm run e2e:up) — start a one-node Kubernetes cluster with
# Knative Serving's real control and data plane, an ingress, a registry and
# BuildKit, all built from source by e2e/build.sh:
#
#   network namespace $NETNS (made here), veth $VETH_HOST (host, HOST_IP) <-> $VETH_NS (NODE_IP)
#     etcd, kube-apiserver (NODE_IP), kube-controller-manager, kube-scheduler
#     containerd v2 + Debian's runc and CNI plugins (bridge, pods on POD_CIDR), kubelet, kube-proxy, CoreDNS
#     Knative webhook, controller, autoscaler, activator (host processes of the namespace)
#     Traefik (Knative provider: KIngress) on NODE_IP: public and cluster-local entry points
#     Debian's docker-registry (htpasswd auth) on NODE_IP
#   host: buildkitd (+ a buildx "remote" builder), pulumi, kubectl — they reach NODE_IP through the veth
#
# It installs the built provider plugins into a PULUMI_HOME of its own, pushes
# the Python base image to the registry, and writes a sourceable env file whose
# path is the last line printed. docs/e2e-harness.md has the layout and why.
#
# Env in:  E2E_RUN_DIR (default e2e/.run), E2E_PORT_BASE (default 21000),
#          E2E_NETNS (default knative-rollout-e2e), E2E_SUBNET (default 10.250.0),
#          E2E_KNATIVE_PROFILE=default|hardened, E2E_CACHE (build cache),
#          E2E_DATAPLANE=0 (control plane only: no node, no ingress).
# Idempotent: when everything is already up with the same profile, it only
# prints the env file path; a daemon that died is started again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PROFILE=${E2E_KNATIVE_PROFILE:-default}
KUBECONFIG=$PKI/admin.kubeconfig
export KUBECONFIG
KN_CONFIG=$CUR/knative-config
BUILDER=knative-rollout-e2e
BUILDKIT_SOCK=$RUN_DIR/buildkit/buildkitd.sock
PY_REPO=knative-rollout-e2e/python-base

# ------------------------------------------------------------------ prerequisites
# Debian packages, installed when missing (a CI machine is fresh every run):
# the registry, htpasswd, openssl, runc (BuildKit's and containerd's runtime),
# the CNI plugins, iptables and conntrack (kube-proxy, inside the namespace),
# socat (the loopback forwarder dockerd pushes the base image through).
ensure_tools() {
  local missing=()
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v kubectl >/dev/null || missing+=(kubectl)
  [ -x /usr/sbin/runc ] || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] || missing+=(containernetworking-plugins)
  command -v iptables-restore >/dev/null || [ -x /usr/sbin/iptables-restore ] || missing+=(iptables)
  command -v conntrack >/dev/null || [ -x /usr/sbin/conntrack ] || missing+=(conntrack)
  command -v socat >/dev/null || missing+=(socat)
  command -v nsenter >/dev/null && command -v unshare >/dev/null || missing+=(util-linux)
  command -v ip >/dev/null || [ -x /usr/sbin/ip ] || missing+=(iproute2)
  command -v ss >/dev/null || [ -x /usr/bin/ss ] || missing+=(iproute2)
  [ ${#missing[@]} -eq 0 ] && return 0
  # kubectl is not a Debian package name; everything else is.
  [[ " ${missing[*]} " == *" kubectl "* ]] && die "kubectl is required on PATH"
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (apt-get install them)"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists; another apt may hold the lock a while.
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null || die "apt-get update failed"
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Root is needed for the namespace, mounts and cgroups; unix sockets are
# limited to 108 bytes, so a deep checkout must move the run dir.
check_paths() {
  [ "$(id -u)" = 0 ] || die "the e2e cluster needs root (network namespace, mounts, cgroups)"
  [ ${#BUILDKIT_SOCK} -lt 100 ] || die "run dir too deep for a unix socket ($BUILDKIT_SOCK); set E2E_RUN_DIR"
  [ $((${#NODE_DIR} + 40)) -lt 100 ] || die "run dir too deep for containerd's sockets ($NODE_DIR); set E2E_RUN_DIR"
  [ ${#VETH_HOST} -le 15 ] || die "E2E_VETH too long: interface names have 15 bytes at most"
  case $PROFILE in default|hardened) ;; *) die "E2E_KNATIVE_PROFILE must be default or hardened, not '$PROFILE'";; esac
}

# A port held by something that is not ours would make a daemon fail with a
# confusing log: say so up front. In the namespace only our own processes can
# hold one (e.g. an activator still draining after a crash).
check_port() {
  local name=$1 port=$2
  alive "$name" && return 0
  if [ "$name" = buildkitd ]; then
    port_busy "$port" && die "127.0.0.1:$port (for $name) is in use by another process; set E2E_PORT_BASE"
  else
    port_busy_ns "$port" && die "port $port (for $name) in namespace $NETNS is still held (a previous run's process?); run e2e/down.sh"
  fi
  return 0
}

everything_up() {
  local d
  netns_exists || return 1
  for d in "${DAEMONS[@]}"; do alive "$d" || return 1; done
  [ -f "$ENV_FILE" ] && [ "$(cat "$RUN_DIR/profile" 2>/dev/null)" = "$PROFILE" ] &&
    grep -q "^export E2E_NETNS='$NETNS'" "$ENV_FILE" && grep -q "^export E2E_DATAPLANE='$DATAPLANE'" "$ENV_FILE"
}

# start_in_ns NAME CMD...: start_daemon inside the network namespace.
start_in_ns() { local name=$1; shift; start_daemon "$name" nsenter --net="$NETNS_PATH" "$@"; }

# start_in_ns_dns NAME CMD...: the same, with a private mount namespace in which
# /etc/resolv.conf is the node's (CoreDNS at NODE_IP): for host processes of the
# node that resolve cluster names. The host's file is never touched, and the
# bind mount goes away with the process.
start_in_ns_dns() {
  local name=$1; shift
  start_daemon "$name" nsenter --net="$NETNS_PATH" unshare --mount --propagation private \
    sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$NODE_DIR/resolv.conf" "$@"
}

# ------------------------------------------------------------------ network namespace
# netns + veth; idempotent. No default route inside: whatever runs there can
# reach the host end and nothing else.
setup_netns() {
  if ! netns_exists; then
    ip netns add "$NETNS" || die "ip netns add $NETNS failed"
  fi
  if ! in_ns ip link show "$VETH_NS" >/dev/null 2>&1; then
    # A host end left by a deleted namespace goes away asynchronously.
    local i
    for i in $(seq 40); do ip link show "$VETH_HOST" >/dev/null 2>&1 || break; sleep 0.25; done
    ip link del "$VETH_HOST" 2>/dev/null || true
    ip link add "$VETH_HOST" type veth peer name "$VETH_NS" netns "$NETNS" || die "could not create veth $VETH_HOST"
  fi
  ip addr replace "$HOST_IP/24" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  in_ns ip link set lo up
  in_ns ip addr replace "$NODE_IP/24" dev "$VETH_NS"
  in_ns ip link set "$VETH_NS" up
  # Namespaced sysctls only: they change nothing on the host.
  in_ns sysctl -qw net.ipv4.ip_forward=1
  # ClusterIPs need a route for the first lookup before kube-proxy's OUTPUT
  # DNAT ("Network is unreachable" otherwise, with no default route). The pod
  # bridge (made here, the CNI bridge plugin adopts it) carries it: a packet no
  # rule rewrites stays on the bridge, never reaching the host.
  in_ns ip link show "$POD_BRIDGE" >/dev/null 2>&1 || in_ns ip link add "$POD_BRIDGE" type bridge
  in_ns ip link set "$POD_BRIDGE" up
  in_ns ip route replace "$SERVICE_CIDR" dev "$POD_BRIDGE"
  local i
  for i in $(seq 40); do veth_up && break; sleep 0.25; done
  veth_up || die "veth $VETH_HOST/$VETH_NS did not come up"
  log "network namespace $NETNS: $VETH_HOST $HOST_IP <-> $VETH_NS $NODE_IP, pods on $POD_BRIDGE $POD_CIDR"
}
veth_up() { ip -o addr show dev "$VETH_HOST" | grep "inet $HOST_IP/" >/dev/null && in_ns ip -o link show "$VETH_NS" | grep 'state UP' >/dev/null; }

# ------------------------------------------------------------------ certificates
# CA, apiserver serving cert (NODE_IP, 127.0.0.1, the service IP and the in-cluster names), an admin client
# cert in system:masters, the service-account signing key pair, a kubeconfig.
gen_pki() {
  # Made again when an older run dir's certificate lacks NODE_IP or its
  # kubeconfig points elsewhere (the control plane used to listen on 127.0.0.1).
  if [ -f "$PKI/admin.kubeconfig" ] && grep -q "server: https://$NODE_IP:$APISERVER_PORT\$" "$PKI/admin.kubeconfig" &&
    openssl x509 -in "$PKI/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | grep "IP Address:$NODE_IP\b" >/dev/null; then
    return 0
  fi
  rm -rf "$PKI"; mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl genrsa -out ca.key 2048 2>/dev/null
    openssl req -x509 -new -nodes -key ca.key -subj "/CN=knative-rollout-e2e-ca" -days 3650 -out ca.crt 2>/dev/null
    printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
      "subjectAltName=IP:127.0.0.1,IP:$NODE_IP,IP:${SERVICE_CIDR%.*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" > server.ext
    printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=clientAuth' > client.ext
    openssl genrsa -out apiserver.key 2048 2>/dev/null
    openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr 2>/dev/null
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext -out apiserver.crt 2>/dev/null
    openssl genrsa -out admin.key 2048 2>/dev/null
    openssl req -new -key admin.key -subj "/O=system:masters/CN=kubernetes-admin" -out admin.csr 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile client.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
  local k="kubectl --kubeconfig=$PKI/admin.kubeconfig.tmp"
  $k config set-cluster e2e --server="https://$NODE_IP:$APISERVER_PORT" --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
  $k config set-credentials admin --client-certificate="$PKI/admin.crt" --client-key="$PKI/admin.key" --embed-certs=true >/dev/null
  $k config set-context e2e --cluster=e2e --user=admin >/dev/null
  $k config use-context e2e >/dev/null
  mv "$PKI/admin.kubeconfig.tmp" "$PKI/admin.kubeconfig"
}

# The registry's serving certificate, from the harness CA, and a trust bundle for the host's
# tools (the system's roots and that CA): every client checks the registry as it would a real
# one. Over plain HTTP, the docker-build provider's reads during each refresh (it checks that
# the pushed digests still exist) retried HTTPS for about 3 s per image, then gave up.
gen_registry_cert() {
  if [ ! -f "$PKI/registry.crt" ] || ! openssl verify -CAfile "$PKI/ca.crt" "$PKI/registry.crt" >/dev/null 2>&1; then
    (
      cd "$PKI"
      printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
        "subjectAltName=IP:$NODE_IP,IP:127.0.0.1" > registry.ext
      openssl genrsa -out registry.key 2048 2>/dev/null
      openssl req -new -key registry.key -subj "/CN=knative-rollout-e2e-registry" -out registry.csr 2>/dev/null
      openssl x509 -req -in registry.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile registry.ext -out registry.crt 2>/dev/null
    ) || die "could not make the registry's certificate"
  fi
  { cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null; cat "$PKI/ca.crt"; } > "$PKI/trust.pem"
}

# ------------------------------------------------------------------ control plane
start_etcd() {
  if ! alive etcd; then
    check_port etcd "$ETCD_PORT"
    mkdir -p "$RUN_DIR/etcd-data"
    start_in_ns etcd "$CUR/etcd" --name e2e --data-dir "$RUN_DIR/etcd-data" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
      --initial-cluster "e2e=http://127.0.0.1:$((ETCD_PORT + 1))" --listen-metrics-urls "http://127.0.0.1:$((ETCD_PORT + 2))" \
      --log-level warn
  fi
  wait_until etcd 30 in_ns curl -sf "http://127.0.0.1:$ETCD_PORT/health"
  log "etcd up (pid $(pid_of etcd), 127.0.0.1:$ETCD_PORT in $NETNS)"
}

# --enable-aggregator-routing: the apiserver then dials a Service's endpoint
# address itself, which is how it reaches Knative's webhook on the
# namespace's 127.0.0.1 (see apply_webhook_service).
start_apiserver() {
  if ! alive kube-apiserver; then
    check_port kube-apiserver "$APISERVER_PORT"
    start_in_ns kube-apiserver "$CUR/kube-apiserver" \
      --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
      --bind-address="$NODE_IP" --secure-port="$APISERVER_PORT" --advertise-address="$NODE_IP" \
      --service-cluster-ip-range="$SERVICE_CIDR" \
      --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
      --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
      --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --authorization-mode=RBAC --enable-aggregator-routing=true --profiling=false \
      --kubelet-preferred-address-types=InternalIP
  fi
  wait_until kube-apiserver 90 kubectl get --raw=/readyz
  wait_until kube-apiserver 30 kubectl get namespace default
  log "kube-apiserver up (pid $(pid_of kube-apiserver), https://$NODE_IP:$APISERVER_PORT)"
}

# The controllers a namespace-creating program and a running Knative need:
# "serviceaccount" gives each namespace its `default` ServiceAccount (Knative's
# dry-run of a Revision's pod spec needs it), "namespace" makes namespace
# deletion finish, "garbage-collector" removes Knative's owned children when a
# Service is deleted, "serviceaccount-token" uses the SA signing key as a real
# cluster does; for the data plane: deployment and replicaset (a Revision is
# a Deployment), endpoints and endpointslice (the revision's private Service),
# endpointslice-mirroring (kube-proxy reads only EndpointSlices, while Knative
# writes Endpoints for the revision's public Service and we write them for the
# activator), node-lifecycle (lifts the node's not-ready taint), podgc.
KCM_CONTROLLERS=serviceaccount-controller,serviceaccount-token-controller,namespace-controller,garbage-collector-controller,root-ca-certificate-publisher-controller,deployment-controller,replicaset-controller,endpoints-controller,endpointslice-controller,endpointslice-mirroring-controller,node-lifecycle-controller,pod-garbage-collector-controller

start_controller_manager() {
  if ! alive kube-controller-manager; then
    check_port kube-controller-manager "$KCM_PORT"
    mkdir -p "$RUN_DIR/kcm-certs"
    start_in_ns kube-controller-manager "$CUR/kube-controller-manager" \
      --kubeconfig="$KUBECONFIG" --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
      --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$RUN_DIR/kcm-certs" \
      --leader-elect=false --use-service-account-credentials=false \
      --controllers="$KCM_CONTROLLERS" \
      --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" --profiling=false
  fi
  wait_until kube-controller-manager 60 kubectl -n default get serviceaccount default
  log "kube-controller-manager up (pid $(pid_of kube-controller-manager), 127.0.0.1:$KCM_PORT in $NETNS)"
}

start_scheduler() {
  if ! alive kube-scheduler; then
    check_port kube-scheduler "$SCHEDULER_PORT"
    start_in_ns kube-scheduler "$CUR/kube-scheduler" \
      --kubeconfig="$KUBECONFIG" --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
      --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false --profiling=false
  fi
  wait_until kube-scheduler 60 in_ns curl -sfk "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  log "kube-scheduler up (pid $(pid_of kube-scheduler), 127.0.0.1:$SCHEDULER_PORT in $NETNS)"
}

# ------------------------------------------------------------------ Knative
apply_knative_crds() {
  kubectl apply -f "$KN_CONFIG/core/100-namespace.yaml" >/dev/null
  kubectl apply -f "$KN_CONFIG/core/300-resources/" -f "$KN_CONFIG/networking/certificate.yaml" \
    -f "$KN_CONFIG/networking/ingress.yaml" -f "$KN_CONFIG/networking/serverlessservice.yaml" \
    -f "$KN_CONFIG/networking/domain-claim.yaml" -f "$KN_CONFIG/caching/image.yaml" >/dev/null
  kubectl wait --for condition=established --timeout=60s crd --all >/dev/null
}

# The profile's config: Knative's shipped config maps, then for "hardened"
# secure-pod-defaults and a non-default container-name-template (clusters
# differ in these, and both change what Knative's defaulting adds). Merge
# patches (not a re-apply) keep the shipped labels and _example, so the
# config-validation webhook still selects and checks them; "default" patches
# the keys away again in case this etcd ran the other profile before.
apply_knative_config() {
  local dry=("$@") features defaults
  kubectl apply "${dry[@]}" -f "$KN_CONFIG/core/configmaps/" -f "$KN_CONFIG/networking/config-network.yaml" >/dev/null
  if [ "$PROFILE" = hardened ]; then
    features='{"data":{"secure-pod-defaults":"enabled"}}'
    defaults='{"data":{"container-name-template":"app-{{.Name}}"}}'
  else
    features='{"data":{"secure-pod-defaults":null}}'
    defaults='{"data":{"container-name-template":null}}'
  fi
  kubectl -n knative-serving patch "${dry[@]}" configmap config-features --type merge -p "$features" >/dev/null
  kubectl -n knative-serving patch "${dry[@]}" configmap config-defaults --type merge -p "$defaults" >/dev/null
  # The data plane, on both profiles: Traefik is the ingress, routes are
  # <service>.<namespace>.$DOMAIN, and queue-proxy is the locally made image.
  kubectl -n knative-serving patch "${dry[@]}" configmap config-network --type merge \
    -p '{"data":{"ingress-class":"traefik.ingress.networking.knative.dev"}}' >/dev/null
  kubectl -n knative-serving patch "${dry[@]}" configmap config-domain --type merge -p "{\"data\":{\"$DOMAIN\":\"\"}}" >/dev/null
  kubectl -n knative-serving patch "${dry[@]}" configmap config-deployment --type merge \
    -p "{\"data\":{\"queue-sidecar-image\":\"$QUEUE_PROXY_IMAGE\"}}" >/dev/null
}

# The webhook runs outside any cluster. clientConfig.service needs a Service,
# and Endpoints/EndpointSlice IP addresses may not be loopback; an
# EndpointSlice of addressType FQDN with "127.0.0.1" is accepted, and with
# --enable-aggregator-routing the apiserver dials addresses[0]:port directly.
apply_webhook_service() {
  kubectl apply -f "$KN_CONFIG/core/webhooks/secret.yaml" >/dev/null
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata:
  name: webhook
  namespace: knative-serving
  labels: {app: webhook, role: webhook, app.kubernetes.io/component: webhook, app.kubernetes.io/name: knative-serving}
spec:
  ports:
  - {name: https-webhook, port: 443, targetPort: 8443}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: webhook-loopback
  namespace: knative-serving
  labels: {kubernetes.io/service-name: webhook, endpointslice.kubernetes.io/managed-by: knative-rollout-e2e}
addressType: FQDN
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {ready: true}
ports:
- {name: https-webhook, port: $WEBHOOK_PORT, protocol: TCP}
EOF
  kubectl apply -f "$KN_CONFIG/core/webhooks/defaulting.yaml" -f "$KN_CONFIG/core/webhooks/resource-validation.yaml" \
    -f "$KN_CONFIG/core/webhooks/configmap-validation.yaml" >/dev/null
}

knative_env() {
  echo SYSTEM_NAMESPACE=knative-serving CONFIG_LOGGING_NAME=config-logging CONFIG_OBSERVABILITY_NAME=config-observability
}

webhook_ready() {
  local ca
  ca=$(kubectl get validatingwebhookconfiguration validation.webhook.serving.knative.dev -o jsonpath='{.webhooks[0].clientConfig.caBundle}')
  [ -n "$ca" ] && in_ns curl -sk -o /dev/null "https://127.0.0.1:$WEBHOOK_PORT/"
}

start_kn_webhook() {
  if ! alive kn-webhook; then
    check_port kn-webhook "$WEBHOOK_PORT"
    # shellcheck disable=SC2046
    start_in_ns kn-webhook env POD_NAME=webhook-e2e WEBHOOK_NAME=webhook WEBHOOK_PORT="$WEBHOOK_PORT" \
      PROFILING_PORT="$WEBHOOK_PROFILING_PORT" $(knative_env) "$CUR/kn-webhook" --kubeconfig="$KUBECONFIG"
  fi
  # Ready when it has written the caBundle into its webhook configurations and serves TLS.
  wait_until kn-webhook 90 webhook_ready
  log "knative webhook up (pid $(pid_of kn-webhook), 127.0.0.1:$WEBHOOK_PORT in $NETNS)"
}

# The controller is ready when it leads the reconcilers the scenario relies
# on (it only reconciles as leader). Its log says so; the Lease objects alone
# would not, because a previous run's leases survive in a kept etcd.
controller_leader() {
  local r
  for r in service configuration revision route; do
    grep -q "has started leading .*controller.knative.dev.serving.pkg.reconciler.$r.reconciler" "$LOGS/kn-controller.log" || return 1
  done
}

start_kn_controller() {
  if ! alive kn-controller; then
    # shellcheck disable=SC2046
    start_in_ns_dns kn-controller env POD_NAME=controller-e2e PROFILING_PORT="$CONTROLLER_PROFILING_PORT" $(knative_env) \
      "$CUR/kn-controller" --kubeconfig="$KUBECONFIG"
  fi
  wait_until kn-controller 90 controller_leader
  log "knative controller up (pid $(pid_of kn-controller))"
}

# Knative's activator and autoscaler run as host processes of the node, not
# in pods: selector-less Services with hand-written Endpoints at NODE_IP stand
# for them (Knative's SKS reads the activator's core/v1 Endpoints; the
# endpointslice-mirroring controller turns them into the EndpointSlices
# kube-proxy reads). Traefik's KIngress status names traefik-public and
# traefik-private, which the Route's placeholder Services point at.
apply_node_services() {
  local out
  out=$(kubectl apply -f - 2>&1 <<EOF
apiVersion: v1
kind: Service
metadata: {name: activator-service, namespace: knative-serving, labels: {app: activator, app.kubernetes.io/name: knative-serving}}
spec:
  ports:
  - {name: http, port: 80, targetPort: $ACTIVATOR_HTTP_PORT}
  - {name: http2, port: 81, targetPort: $ACTIVATOR_H2C_PORT}
---
apiVersion: v1
kind: Endpoints
metadata: {name: activator-service, namespace: knative-serving, labels: {app: activator}}
subsets:
- addresses: [{ip: $NODE_IP}]
  ports: [{name: http, port: $ACTIVATOR_HTTP_PORT}, {name: http2, port: $ACTIVATOR_H2C_PORT}]
---
apiVersion: v1
kind: Service
metadata: {name: autoscaler, namespace: knative-serving, labels: {app: autoscaler, app.kubernetes.io/name: knative-serving}}
spec:
  ports: [{name: http, port: $AUTOSCALER_PORT, targetPort: $AUTOSCALER_PORT}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: autoscaler, namespace: knative-serving, labels: {app: autoscaler}}
subsets: [{addresses: [{ip: $NODE_IP}], ports: [{name: http, port: $AUTOSCALER_PORT}]}]
---
apiVersion: v1
kind: Service
metadata: {name: traefik-public, namespace: knative-serving}
spec: {ports: [{name: http, port: 80, targetPort: $INGRESS_PORT}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: traefik-public, namespace: knative-serving}
subsets: [{addresses: [{ip: $NODE_IP}], ports: [{name: http, port: $INGRESS_PORT}]}]
---
apiVersion: v1
kind: Service
metadata: {name: traefik-private, namespace: knative-serving}
spec: {ports: [{name: http, port: 80, targetPort: $INGRESS_LOCAL_PORT}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: traefik-private, namespace: knative-serving}
subsets: [{addresses: [{ip: $NODE_IP}], ports: [{name: http, port: $INGRESS_LOCAL_PORT}]}]
EOF
) || die "applying the node's Services and Endpoints failed: $out"
}

knative_node_env() {
  echo "$(knative_env) POD_IP=$NODE_IP"
}

start_kn_autoscaler() {
  if ! alive kn-autoscaler; then
    check_port kn-autoscaler "$AUTOSCALER_PORT"
    # shellcheck disable=SC2046
    start_in_ns_dns kn-autoscaler env POD_NAME=autoscaler-e2e PROFILING_PORT="$AUTOSCALER_PROFILING_PORT" $(knative_node_env) \
      "$CUR/kn-autoscaler" --kubeconfig="$KUBECONFIG"
  fi
  wait_until kn-autoscaler 90 port_busy_ns "$AUTOSCALER_PORT"
  log "knative autoscaler up (pid $(pid_of kn-autoscaler), $NODE_IP:$AUTOSCALER_PORT)"
}

# The activator drains for ~30s on SIGTERM, holding its ports: check_port
# refuses to start a second one while the first still holds them.
start_kn_activator() {
  if ! alive kn-activator; then
    check_port kn-activator "$ACTIVATOR_HTTP_PORT"
    # shellcheck disable=SC2046
    start_in_ns_dns kn-activator env POD_NAME=activator-e2e PROFILING_PORT="$ACTIVATOR_PROFILING_PORT" $(knative_node_env) \
      "$CUR/kn-activator" --kubeconfig="$KUBECONFIG"
  fi
  wait_until kn-activator 90 port_busy_ns "$ACTIVATOR_HTTP_PORT"
  log "knative activator up (pid $(pid_of kn-activator), $NODE_IP:$ACTIVATOR_HTTP_PORT)"
}

start_knative() {
  apply_knative_crds
  # Leader-election leases of Knative processes that a previous down.sh
  # killed (they drain too long to wait for) are held until they expire, and
  # the controller only reconciles as leader: with none of ours alive, they
  # are stale, and deleting them saves a minute on a restart with kept etcd.
  if ! alive kn-webhook && ! alive kn-controller && ! alive kn-autoscaler && ! alive kn-activator; then
    kubectl -n knative-serving delete lease --all >/dev/null 2>&1 || true
  fi
  # First start on this etcd: write the config before the config-validation
  # webhook exists (it fails closed while the webhook is not running).
  kubectl -n knative-serving get configmap config-logging >/dev/null 2>&1 || apply_knative_config
  apply_webhook_service
  start_kn_webhook
  # Now through Knative's own config validation: proves the profile is accepted.
  apply_knative_config --dry-run=server || die "Knative's webhook rejected the '$PROFILE' config profile"
  apply_knative_config
  echo "$PROFILE" > "$RUN_DIR/profile"
  start_kn_controller
}

# ------------------------------------------------------------------ node
# containerd v2 (built), Debian's runc and CNI plugins, kubelet, kube-proxy,
# CoreDNS; all inside the namespace. Their state lives in NODE_DIR, which
# down.sh unmounts and removes: every up starts the node from scratch.

# Each v1 hierarchy gets CGROUP_ROOT (kubelet's cgroupRoot must exist).
make_cgroup_root() {
  local m
  for m in $(cgroup_mounts); do make_cgroup "$m" "$CGROUP_ROOT"; done
}

# make_cgroup HIERARCHY PATH: a cgroup dir; in the v1 cpuset hierarchy a new
# cgroup has no CPUs or memory nodes (no task may join it) until they are
# copied from its parent.
make_cgroup() {
  local m=$1 p=$2 f
  mkdir -p "$m$p"
  for f in cpuset.cpus cpuset.mems; do
    if [ -f "$m$p/$f" ] && [ -z "$(cat "$m$p/$f")" ]; then cat "$(dirname "$m$p")/$f" > "$m$p/$f"; fi
  done
}

# move_to_cgroup PID NAME: PID (and so every child it starts later, e.g.
# containerd's shims) into CGROUP_ROOT/NAME of every hierarchy.
move_to_cgroup() {
  local pid=$1 name=$2 m
  make_cgroup_root
  for m in $(cgroup_mounts); do
    make_cgroup "$m" "$CGROUP_ROOT/$name"
    echo "$pid" > "$m$CGROUP_ROOT/$name/cgroup.procs" 2>/dev/null || log "note: could not move $name into $m$CGROUP_ROOT/$name"
  done
}

write_node_config() {
  local d=$NODE_DIR
  mkdir -p "$d/containerd/certs.d/$REGISTRY" "$d/cni/net.d" "$d/kubelet" "$d/coredns" "$d/traefik"
  # The node's resolver: CoreDNS, cluster names only (nothing is forwarded).
  printf 'nameserver %s\nsearch svc.%s %s\noptions ndots:5\n' "$NODE_IP" "$CLUSTER_DOMAIN" "$CLUSTER_DOMAIN" > "$d/resolv.conf"
  # The base of the pods' resolv.conf, to which kubelet adds CoreDNS and the search path.
  : > "$d/kubelet/resolv.conf"

  # containerd 2 (config version 3). restrict_oom_score_adj: without
  # CAP_SYS_RESOURCE nothing may lower oom_score_adj, and every container
  # failed with "can't get final child's PID from pipe: EOF". NRI and every
  # default path under /run, /var/lib, /opt are moved into NODE_DIR.
  cat > "$d/containerd/config.toml" <<EOF
version = 3
root = "$d/containerd/root"
state = "$d/containerd/state"
[grpc]
  address = "$d/containerd/containerd.sock"
[ttrpc]
  address = "$d/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.nri.v1.nri"]
  disable = true
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = "$d/containerd/certs.d"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$PAUSE_IMAGE"
[plugins."io.containerd.cri.v1.runtime"]
  enable_selinux = false
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      runtime_path = "$(readlink -f "$CUR/containerd-shim-runc-v2")"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
        Root = "$d/containerd/runc"
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$d/cni/net.d"
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
EOF
  # The registry's certificate is from the harness CA; containerd pulls with the
  # pod's image pull Secret only (no credentials here).
  cat > "$d/containerd/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "https://$REGISTRY"
[host."https://$REGISTRY"]
  capabilities = ["pull", "resolve"]
  ca = "$PKI/ca.crt"
EOF
  cat > "$d/cni/net.d/10-e2e.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "e2e-pods",
  "plugins": [
    {"type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$d/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  # kubelet: cgroup v1 host (failCgroupV1: false), cgroupfs driver, every
  # directory of its own under NODE_DIR, no image GC or eviction worth the name.
  cat > "$d/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
cgroupsPerQOS: true
containerRuntimeEndpoint: unix://$d/containerd/containerd.sock
imageServiceEndpoint: unix://$d/containerd/containerd.sock
podLogsDir: $d/kubelet/pod-logs
volumePluginDir: $d/kubelet/volume-plugins
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
clusterDomain: $CLUSTER_DOMAIN
clusterDNS: [$NODE_IP]
resolvConf: $d/kubelet/resolv.conf
failSwapOn: false
enforceNodeAllocatable: []
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
protectKernelDefaults: false
makeIPTablesUtilChains: false
maxPods: 60
EOF
  # kube-proxy: iptables, inside the namespace; it must not touch the host's
  # conntrack sysctls (maxPerCore 0, timeouts 0 keep them as they are).
  cat > "$d/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $KUBECONFIG}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {masqueradeAll: false, localhostNodePorts: false}
EOF
  # CoreDNS: cluster names only; anything else is REFUSED (no forwarding).
  cat > "$d/coredns/Corefile" <<EOF
$CLUSTER_DOMAIN:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:$COREDNS_HEALTH_PORT
    ready 127.0.0.1:$COREDNS_READY_PORT
    cache 5
    kubernetes $CLUSTER_DOMAIN {
        kubeconfig $KUBECONFIG e2e
    }
}
EOF
}

start_containerd() {
  if ! alive containerd; then
    rm -f "$NODE_DIR/containerd/containerd.sock"
    # Which of the host paths the node writes to are ours to remove (HOST_DIRS).
    local h
    for h in "${HOST_DIRS[@]}"; do
      [ -e "$h" ] || grep -qx "$h" "$HOST_DIRS_FILE" 2>/dev/null || echo "$h" >> "$HOST_DIRS_FILE"
    done
    start_in_ns containerd "$CUR/containerd" --config "$NODE_DIR/containerd/config.toml"
    move_to_cgroup "$(pid_of containerd)" containerd
  fi
  wait_until containerd 30 "$CUR/ctr" --address "$NODE_DIR/containerd/containerd.sock" version
  # The node's own images, made by build.sh (nothing can be pulled).
  local t
  for t in pause queue-proxy hello; do
    "$CUR/ctr" --address "$NODE_DIR/containerd/containerd.sock" -n k8s.io images import --no-unpack=false \
      "$CUR/images/$t.tar" >/dev/null 2>"$LOGS/ctr-import.log" || fail_with ctr-import "importing $t.tar into containerd failed"
  done
  log "containerd up (pid $(pid_of containerd), images: $PAUSE_IMAGE $QUEUE_PROXY_IMAGE $HELLO_IMAGE)"
}

node_ready() {
  [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] &&
    ! kubectl get node "$NODE_NAME" -o jsonpath='{.spec.taints[*].key}' | grep not-ready >/dev/null
}

start_kubelet() {
  if ! alive kubelet; then
    check_port kubelet "$KUBELET_PORT"
    make_cgroup_root
    start_in_ns kubelet "$CUR/kubelet" --config="$NODE_DIR/kubelet/config.yaml" --kubeconfig="$KUBECONFIG" \
      --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --root-dir="$NODE_DIR/kubelet/root" \
      --cert-dir="$NODE_DIR/kubelet/pki"
  fi
  wait_until kubelet 120 node_ready
  log "kubelet up (pid $(pid_of kubelet)), node $NODE_NAME Ready"
}

start_kube_proxy() {
  if ! alive kube-proxy; then
    check_port kube-proxy "$PROXY_HEALTHZ_PORT"
    start_in_ns kube-proxy "$CUR/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml"
  fi
  wait_until kube-proxy 60 in_ns curl -sf "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
  log "kube-proxy up (pid $(pid_of kube-proxy), iptables in $NETNS)"
}

start_coredns() {
  if ! alive coredns; then
    check_port coredns "$COREDNS_READY_PORT"
    start_in_ns coredns "$CUR/coredns" -conf "$NODE_DIR/coredns/Corefile"
  fi
  wait_until coredns 60 in_ns curl -sf "http://127.0.0.1:$COREDNS_READY_PORT/ready"
  log "CoreDNS up (pid $(pid_of coredns), $NODE_IP:53, $CLUSTER_DOMAIN only)"
}

# ------------------------------------------------------------------ ingress
# Traefik's Knative provider: public routes on INGRESS_PORT, cluster-local ones
# on INGRESS_LOCAL_PORT (without a private entry point it skips them).
start_traefik() {
  cat > "$NODE_DIR/traefik/traefik.yaml" <<EOF
entryPoints:
  web: {address: "$NODE_IP:$INGRESS_PORT"}
  internal: {address: "$NODE_IP:$INGRESS_LOCAL_PORT"}
  ping: {address: "127.0.0.1:$TRAEFIK_PING_PORT"}
ping: {entryPoint: ping}
experimental:
  knative: true
providers:
  # Apply a new KIngress within 0.1 s (default 2 s): the Knative provider marks
  # it Ready on receipt, before the throttled configuration takes effect.
  providersThrottleDuration: 100ms
  knative:
    publicEntrypoints: [web]
    publicService: {name: traefik-public, namespace: knative-serving}
    privateEntrypoints: [internal]
    privateService: {name: traefik-private, namespace: knative-serving}
log: {level: INFO}
global: {checkNewVersion: false, sendAnonymousUsage: false}
EOF
  if ! alive traefik; then
    check_port traefik "$INGRESS_PORT"
    start_in_ns traefik env KUBECONFIG="$KUBECONFIG" "$CUR/traefik" --configfile="$NODE_DIR/traefik/traefik.yaml"
  fi
  wait_until traefik 60 in_ns curl -sf "http://127.0.0.1:$TRAEFIK_PING_PORT/ping"
  wait_until traefik 30 curl -s -o /dev/null "http://$NODE_IP:$INGRESS_PORT/"
  log "traefik up (pid $(pid_of traefik), http://$NODE_IP:$INGRESS_PORT public, http://$NODE_IP:$INGRESS_LOCAL_PORT cluster-local)"
}

# ------------------------------------------------------------------ registry
# Debian's docker-registry with htpasswd (bcrypt) auth, its own storage, HTTPS
# (a certificate from the harness CA) on NODE_IP inside the namespace: ONE name,
# $REGISTRY, for BuildKit's pushes from the host (buildkitd.toml names the CA),
# containerd's pulls on the node (hosts.toml), the host's tools (SSL_CERT_FILE
# in the env file) and dockerd's push of the base image (through a loopback
# forwarder: dockerd skips verification for loopback registries only).
# registry_api PATH [CURL ARGS...]: the registry's API over HTTPS, checked against the
# harness CA, as user e2e.
registry_api() {
  local path=$1; shift
  curl -sf --cacert "$PKI/ca.crt" -u "e2e:$(cat "$RUN_DIR/registry/password")" "$@" "https://$REGISTRY/v2/$path"
}

start_registry() {
  local d=$RUN_DIR/registry
  mkdir -p "$d/data"
  [ -f "$d/password" ] || openssl rand -hex 16 > "$d/password"
  [ -f "$d/htpasswd" ] || htpasswd -Bbn e2e "$(cat "$d/password")" > "$d/htpasswd"
  cat > "$d/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $d/data}
  delete: {enabled: true}
http:
  addr: $REGISTRY
  secret: $(cat "$d/password")
  tls: {certificate: $PKI/registry.crt, key: $PKI/registry.key}
auth:
  htpasswd: {realm: knative-rollout-e2e, path: $d/htpasswd}
EOF
  if ! alive registry; then
    check_port registry "$REGISTRY_PORT"
    start_in_ns registry docker-registry serve "$d/config.yml"
  fi
  # 401 without credentials is the proof that auth is on.
  wait_until registry 30 registry_api ""
  local code; code=$(curl -s --cacert "$PKI/ca.crt" -o /dev/null -w '%{http_code}' "https://$REGISTRY/v2/")
  [ "$code" = 401 ] || die "registry answers $code without credentials (expected 401)"
  log "registry up (pid $(pid_of registry), https://$REGISTRY, user e2e)"
}

# ------------------------------------------------------------------ BuildKit
start_buildkitd() {
  local d=$RUN_DIR/buildkit
  mkdir -p "$d/root"
  cat > "$d/buildkitd.toml" <<EOF
root = "$d/root"
[grpc]
  address = ["unix://$BUILDKIT_SOCK"]
[worker.oci]
  enabled = true
  gc = true
[worker.containerd]
  enabled = false
[registry."$REGISTRY"]
  ca = ["$PKI/ca.crt"]
EOF
  if ! alive buildkitd; then
    rm -f "$BUILDKIT_SOCK"
    # host network for RUN steps: no CNI for BuildKit, and it needs nothing beyond
    # this machine (the registry is at NODE_IP, through the veth).
    PATH=$PATH:/usr/sbin start_daemon buildkitd "$CUR/buildkitd" --config "$d/buildkitd.toml" --oci-worker-net=host
  fi
  wait_until buildkitd 30 test -S "$BUILDKIT_SOCK"
  # buildx state lives in the run dir, never in the user's ~/.docker.
  export DOCKER_CONFIG=$RUN_DIR/docker-config BUILDX_CONFIG=$RUN_DIR/buildx
  mkdir -p "$DOCKER_CONFIG" "$BUILDX_CONFIG"
  [ -f "$DOCKER_CONFIG/config.json" ] || echo '{}' > "$DOCKER_CONFIG/config.json"
  if ! "$CUR/docker-buildx" inspect "$BUILDER" >/dev/null 2>&1; then
    "$CUR/docker-buildx" create --name "$BUILDER" --driver remote "unix://$BUILDKIT_SOCK" >/dev/null
  fi
  "$CUR/docker-buildx" use --default "$BUILDER" >/dev/null
  wait_until buildkitd 30 "$CUR/docker-buildx" inspect --bootstrap "$BUILDER"
  log "buildkitd up (pid $(pid_of buildkitd), unix://$BUILDKIT_SOCK, buildx builder $BUILDER)"
}

# ------------------------------------------------------------------ Pulumi
# The engine loads plugins from PULUMI_HOME by the version the npm packages
# report (@pulumi/kubernetes 4.25.0, @pulumi/docker-build 0.0.22); the CLI and
# the language host are found on PATH (run-dir bin/).
install_pulumi() {
  export PULUMI_HOME=$RUN_DIR/pulumi-home
  mkdir -p "$RUN_DIR/bin" "$RUN_DIR/state" "$PULUMI_HOME"
  ln -sfn "$CUR/pulumi" "$RUN_DIR/bin/pulumi"
  ln -sfn "$CUR/pulumi-language-nodejs" "$RUN_DIR/bin/pulumi-language-nodejs"
  ln -sfn "$CUR/docker-buildx" "$RUN_DIR/bin/docker-buildx"
  install_plugin kubernetes "$K8S_PROVIDER_LABEL"
  install_plugin docker-build "$DOCKER_BUILD_VERSION"
}

install_plugin() {
  local name=$1 version=$2 src
  src=$(readlink -f "$CUR/pulumi-resource-$name")
  local dst=$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name
  if [ -x "$dst" ] && cmp -s "$src" "$dst"; then return 0; fi
  PULUMI_SKIP_UPDATE_CHECK=true "$CUR/pulumi" plugin install resource "$name" "$version" --file "$src" --reinstall >/dev/null \
    || die "pulumi plugin install resource $name $version failed"
  log "installed plugin $name $version into $PULUMI_HOME"
}

# ------------------------------------------------------------------ Python base image
# BuildKit must pull the app's base image from the e2e registry (nothing
# beyond this machine is reachable). scripts/python-base-image.sh (mmdebstrap +
# docker import) makes it; scripts/docker-up.sh starts the Docker engine it
# needs. Pushed once per run dir (the registry's storage is kept across
# down/up); E2E_PYTHON_IMAGE is the digest-pinned reference.
python_image_present() {
  local ref=$1 repo digest
  repo=${ref#"$REGISTRY"/}; repo=${repo%@*}; digest=${ref#*@}
  registry_api "$repo/manifests/$digest" -o /dev/null \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json'
}

ensure_python_image() {
  local refile=$RUN_DIR/python-image.ref
  # A run dir from before the registry moved keeps its storage: only the name changes.
  if [ -f "$refile" ] && [[ "$(cat "$refile")" != "$REGISTRY/"* ]]; then
    echo "$REGISTRY/$(cut -d/ -f2- "$refile")" > "$refile"
  fi
  if [ -f "$refile" ] && python_image_present "$(cat "$refile")"; then
    PYTHON_IMAGE=$(cat "$refile"); return 0
  fi
  local s=$REPO_DIR/scripts
  [ -f "$s/python-base-image.sh" ] && [ -f "$s/docker-up.sh" ] \
    || die "scripts/python-base-image.sh and scripts/docker-up.sh are needed to make the Python base image"
  log "making the Python base image (scripts/python-base-image.sh) ..."
  bash "$s/docker-up.sh" >&2 || die "scripts/docker-up.sh failed"
  # dockerd trusts only its own CAs, except on loopback (an "insecure" registry:
  # TLS unverified): a forwarder on the host's 127.0.0.1:REGISTRY_PORT to the
  # registry, for this push only. The registry stores by repository and digest,
  # so the image is the same under $REGISTRY.
  local fwd=127.0.0.1:$REGISTRY_PORT
  port_busy "$REGISTRY_PORT" && die "127.0.0.1:$REGISTRY_PORT is in use: cannot forward dockerd's push to $REGISTRY"
  start_daemon registry-forwarder socat "TCP-LISTEN:$REGISTRY_PORT,bind=127.0.0.1,reuseaddr,fork" "TCP:$REGISTRY"
  trap 'stop_daemon registry-forwarder 2 2>/dev/null' EXIT
  wait_until registry-forwarder 10 curl -sk -o /dev/null "https://$fwd/v2/"
  # A docker config of our own: the login never touches the user's ~/.docker.
  local dc=$RUN_DIR/docker-push-config tag
  mkdir -p "$dc"
  DOCKER_CONFIG=$dc docker login "$fwd" -u e2e --password-stdin < "$RUN_DIR/registry/password" >/dev/null \
    || die "docker login $fwd failed"
  # The local image's tag is its content key (suite + packages + sources), so
  # the registry tag says what is inside.
  local local_ref
  local_ref=$(bash "$s/python-base-image.sh" | tail -n 1) || die "scripts/python-base-image.sh failed"
  tag=${local_ref##*:}
  DOCKER_CONFIG=$dc bash "$s/python-base-image.sh" --push "$fwd/$PY_REPO:$tag" >/dev/null \
    || die "scripts/python-base-image.sh --push $fwd/$PY_REPO:$tag failed"
  stop_daemon registry-forwarder 2 2>/dev/null; trap - EXIT
  local digest
  digest=$(registry_api "$PY_REPO/manifests/$tag" -I \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
  [ -n "$digest" ] || die "pushed $REGISTRY/$PY_REPO:$tag but the registry has no digest for it"
  PYTHON_IMAGE=$REGISTRY/$PY_REPO@$digest
  echo "$PYTHON_IMAGE" > "$refile"
  log "python base image: $PYTHON_IMAGE"
}

# ------------------------------------------------------------------ env file
write_env() {
  local tmp=$ENV_FILE.tmp
  cat > "$tmp" <<EOF
# Written by e2e/up.sh — source it:  . $ENV_FILE
export E2E_RUN_DIR='$RUN_DIR'
export E2E_KNATIVE_PROFILE='$PROFILE'
export KUBECONFIG='$KUBECONFIG'
# The built pulumi CLI and language host; @pulumi/pulumi's directory holds
# pulumi-resource-pulumi-nodejs, the engine's provider for dynamic resources.
case ":\$PATH:" in *":$RUN_DIR/bin:"*) ;; *) export PATH='$RUN_DIR/bin:$REPO_DIR/node_modules/@pulumi/pulumi':"\$PATH" ;; esac
export PULUMI_HOME='$RUN_DIR/pulumi-home'
export PULUMI_BACKEND_URL='file://$RUN_DIR/state'
export PULUMI_CONFIG_PASSPHRASE='e2e'
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
# Plugins come only from PULUMI_HOME: fail fast instead of trying to download.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# docker-build provider: buildx's builder store and the builder to use (a
# "remote" builder on buildkitd's socket). No credentials in this config.
export DOCKER_CONFIG='$RUN_DIR/docker-config'
export BUILDX_CONFIG='$RUN_DIR/buildx'
export BUILDX_BUILDER='$BUILDER'
export E2E_BUILDER='$BUILDER'
export E2E_BUILDKIT_ADDR='unix://$BUILDKIT_SOCK'
export E2E_REGISTRY='$REGISTRY'
export E2E_REGISTRY_USER='e2e'
export E2E_REGISTRY_PASSWORD='$(cat "$RUN_DIR/registry/password")'
# The registry's certificate is from the harness CA: Go programs (pulumi's providers) trust
# it through SSL_CERT_FILE (the system's roots and that CA); curl needs --cacert \$E2E_REGISTRY_CA.
export E2E_REGISTRY_CA='$PKI/ca.crt'
export SSL_CERT_FILE='$PKI/trust.pem'
export E2E_PYTHON_IMAGE='$PYTHON_IMAGE'
# The data plane. Requests go to Traefik with a Host header: a Route is
# <service>.<namespace>.<domain>, a tag's URL <tag>-<service>.<namespace>.<domain>, e.g.
#   curl -H 'Host: helloworld-python.revs.$DOMAIN' http://$NODE_IP:$INGRESS_PORT/
export E2E_INGRESS='$([ "$DATAPLANE" = 1 ] && echo "$NODE_IP:$INGRESS_PORT")'
export E2E_INGRESS_LOCAL='$([ "$DATAPLANE" = 1 ] && echo "$NODE_IP:$INGRESS_LOCAL_PORT")'
export E2E_DATAPLANE='$DATAPLANE'
export E2E_DOMAIN='$DOMAIN'
# Everything but buildkitd runs in this network namespace; the host reaches it
# at E2E_NODE_IP through the veth (nsenter --net=/var/run/netns/\$E2E_NETNS to go inside).
export E2E_NETNS='$NETNS'
export E2E_NODE_IP='$NODE_IP'
export E2E_HOST_IP='$HOST_IP'
export NO_PROXY='$NO_PROXY' no_proxy='$no_proxy'
# Images made by build.sh and imported into the node's containerd (never pulled).
export E2E_HELLO_IMAGE='$HELLO_IMAGE'
export E2E_QUEUE_PROXY_IMAGE='$QUEUE_PROXY_IMAGE'
EOF
  mv "$tmp" "$ENV_FILE"
}

main() {
  local t0=$SECONDS
  check_paths
  if everything_up; then
    log "already up (profile $(cat "$RUN_DIR/profile"))"
    echo "$ENV_FILE"; return 0
  fi
  if [ -f "$RUN_DIR/profile" ] && alive kn-webhook && [ "$(cat "$RUN_DIR/profile")" != "$PROFILE" ]; then
    die "already up with profile '$(cat "$RUN_DIR/profile")'; run e2e/down.sh first to switch to '$PROFILE'"
  fi
  ensure_tools
  bash "$E2E_DIR/build.sh" >&2
  # shellcheck disable=SC1091
  source "$CUR/images/images.env"   # PAUSE_IMAGE, QUEUE_PROXY_IMAGE, HELLO_IMAGE
  setup_netns
  gen_pki
  gen_registry_cert
  write_node_config
  start_etcd
  start_apiserver
  start_controller_manager
  start_scheduler
  start_knative
  if [ "$DATAPLANE" = 1 ]; then
    start_containerd
    start_kubelet
    start_kube_proxy
    start_coredns
    apply_node_services
    start_kn_autoscaler
    start_kn_activator
    start_traefik
  else
    log "E2E_DATAPLANE=0: no node and no ingress (Revisions will not become Ready)"
  fi
  start_registry
  start_buildkitd
  install_pulumi
  ensure_python_image
  write_env
  log "up in $((SECONDS - t0))s (profile $PROFILE)"
  echo "$ENV_FILE"
}

main "$@"
