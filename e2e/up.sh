#!/usr/bin/env bash
# e2e/up.sh (npm run e2e:up) — start the e2e control plane on 127.0.0.1:
#   etcd, kube-apiserver, kube-controller-manager (generated certificates),
#   Knative Serving's CRDs/config maps/webhook configurations, its webhook and
#   controller, Debian's docker-registry (htpasswd auth) and buildkitd (plus a
#   buildx "remote" builder for the docker-build provider),
# install the built provider plugins into a PULUMI_HOME of its own, push the
# Python base image to the registry, and write a sourceable env file whose
# path is the last line printed.
#
# Env in:  E2E_RUN_DIR (default e2e/.run), E2E_PORT_BASE (default 21000),
#          E2E_KNATIVE_PROFILE=default|hardened, E2E_CACHE (build cache).
# Idempotent: when everything is already up with the same profile, it only
# prints the env file path. No pod ever runs (there is no kubelet), so
# Revisions are created by Knative's controller but never become Ready.
#
# Listen addresses: knative.dev/pkg's servers bind all interfaces; build.sh
# patches them to 127.0.0.1 rather than running the control plane in a
# network namespace, because a netns would force every consumer (kubectl,
# pulumi, the docker-build provider, dockerd pushing the base image) to run
# under nsenter. With the patch the env file works from any shell.
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
ensure_tools() {
  local missing=()
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v kubectl >/dev/null || missing+=(kubectl)
  command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
  [ ${#missing[@]} -eq 0 ] && return 0
  # kubectl is not a Debian package name; everything else is.
  [[ " ${missing[*]} " == *" kubectl "* ]] && die "kubectl is required on PATH"
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (apt-get install them)"
  log "installing ${missing[*]}"
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Unix sockets are limited to 108 bytes: a deep checkout must move the run dir.
check_paths() {
  [ ${#BUILDKIT_SOCK} -lt 100 ] || die "run dir too deep for a unix socket ($BUILDKIT_SOCK); set E2E_RUN_DIR"
  case $PROFILE in default|hardened) ;; *) die "E2E_KNATIVE_PROFILE must be default or hardened, not '$PROFILE'";; esac
}

# A port held by something that is not ours would make a daemon fail with a
# confusing log: say so up front.
check_port() {
  local name=$1 port=$2
  alive "$name" && return 0
  port_busy "$port" && die "127.0.0.1:$port (for $name) is in use by another process; set E2E_PORT_BASE"
  return 0
}

everything_up() {
  local d
  for d in "${DAEMONS[@]}"; do alive "$d" || return 1; done
  [ -f "$ENV_FILE" ] && [ "$(cat "$RUN_DIR/profile" 2>/dev/null)" = "$PROFILE" ]
}

# ------------------------------------------------------------------ certificates
# CA, apiserver serving cert (127.0.0.1 + the in-cluster names), an admin client
# cert in system:masters, the service-account signing key pair, a kubeconfig.
gen_pki() {
  [ -f "$PKI/admin.kubeconfig" ] && return 0
  rm -rf "$PKI"; mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl genrsa -out ca.key 2048 2>/dev/null
    openssl req -x509 -new -nodes -key ca.key -subj "/CN=knative-rollout-e2e-ca" -days 3650 -out ca.crt 2>/dev/null
    printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
      'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local' > server.ext
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
  $k config set-cluster e2e --server="https://127.0.0.1:$APISERVER_PORT" --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
  $k config set-credentials admin --client-certificate="$PKI/admin.crt" --client-key="$PKI/admin.key" --embed-certs=true >/dev/null
  $k config set-context e2e --cluster=e2e --user=admin >/dev/null
  $k config use-context e2e >/dev/null
  mv "$PKI/admin.kubeconfig.tmp" "$PKI/admin.kubeconfig"
}

# ------------------------------------------------------------------ control plane
start_etcd() {
  if ! alive etcd; then
    check_port etcd "$ETCD_PORT"
    mkdir -p "$RUN_DIR/etcd-data"
    start_daemon etcd "$CUR/etcd" --name e2e --data-dir "$RUN_DIR/etcd-data" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
      --initial-cluster "e2e=http://127.0.0.1:$((ETCD_PORT + 1))" --listen-metrics-urls "http://127.0.0.1:$((ETCD_PORT + 2))" \
      --log-level warn
  fi
  wait_until etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
  log "etcd up (pid $(pid_of etcd), 127.0.0.1:$ETCD_PORT)"
}

# --enable-aggregator-routing: the apiserver then dials a Service's endpoint
# address itself, which is how it reaches Knative's webhook on 127.0.0.1 (see
# apply_webhook_service). --endpoint-reconciler-type=none: no "kubernetes"
# Endpoints pointing at loopback (which validation would refuse anyway).
start_apiserver() {
  if ! alive kube-apiserver; then
    check_port kube-apiserver "$APISERVER_PORT"
    start_daemon kube-apiserver "$CUR/kube-apiserver" \
      --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
      --bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" --advertise-address=127.0.0.1 \
      --endpoint-reconciler-type=none --service-cluster-ip-range=10.0.0.0/24 \
      --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
      --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
      --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --authorization-mode=RBAC --enable-aggregator-routing=true --profiling=false
  fi
  wait_until kube-apiserver 90 kubectl get --raw=/readyz
  wait_until kube-apiserver 30 kubectl get namespace default
  log "kube-apiserver up (pid $(pid_of kube-apiserver), https://127.0.0.1:$APISERVER_PORT)"
}

# Only the controllers a namespace-creating program needs: "serviceaccount"
# gives each namespace its `default` ServiceAccount (Knative's dry-run of a
# Revision's pod spec needs it), "namespace" makes namespace deletion finish,
# "garbage-collector" removes Knative's owned children when a Service is
# deleted, "serviceaccount-token" uses the SA signing key as a real cluster does.
start_controller_manager() {
  if ! alive kube-controller-manager; then
    check_port kube-controller-manager "$KCM_PORT"
    mkdir -p "$RUN_DIR/kcm-certs"
    start_daemon kube-controller-manager "$CUR/kube-controller-manager" \
      --kubeconfig="$KUBECONFIG" --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
      --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$RUN_DIR/kcm-certs" \
      --leader-elect=false --use-service-account-credentials=false \
      --controllers=serviceaccount-controller,serviceaccount-token-controller,namespace-controller,garbage-collector-controller,root-ca-certificate-publisher-controller \
      --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" --profiling=false
  fi
  wait_until kube-controller-manager 60 kubectl -n default get serviceaccount default
  log "kube-controller-manager up (pid $(pid_of kube-controller-manager), 127.0.0.1:$KCM_PORT)"
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
  [ -n "$ca" ] && curl -sk -o /dev/null "https://127.0.0.1:$WEBHOOK_PORT/"
}

start_kn_webhook() {
  if ! alive kn-webhook; then
    check_port kn-webhook "$WEBHOOK_PORT"
    # shellcheck disable=SC2046
    start_daemon kn-webhook env POD_NAME=webhook-e2e WEBHOOK_NAME=webhook WEBHOOK_PORT="$WEBHOOK_PORT" \
      PROFILING_PORT="$WEBHOOK_PROFILING_PORT" $(knative_env) "$CUR/kn-webhook" --kubeconfig="$KUBECONFIG"
  fi
  # Ready when it has written the caBundle into its webhook configurations and serves TLS.
  wait_until kn-webhook 90 webhook_ready
  log "knative webhook up (pid $(pid_of kn-webhook), 127.0.0.1:$WEBHOOK_PORT)"
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
    start_daemon kn-controller env POD_NAME=controller-e2e PROFILING_PORT="$CONTROLLER_PROFILING_PORT" $(knative_env) \
      "$CUR/kn-controller" --kubeconfig="$KUBECONFIG"
  fi
  wait_until kn-controller 90 controller_leader
  log "knative controller up (pid $(pid_of kn-controller))"
}

start_knative() {
  apply_knative_crds
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

# ------------------------------------------------------------------ registry
# Debian's docker-registry with htpasswd (bcrypt) auth, its own storage, plain
# http on loopback (BuildKit and dockerd both treat it as insecure on purpose).
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
auth:
  htpasswd: {realm: knative-rollout-e2e, path: $d/htpasswd}
EOF
  if ! alive registry; then
    check_port registry "$REGISTRY_PORT"
    start_daemon registry docker-registry serve "$d/config.yml"
  fi
  # 401 without credentials is the proof that auth is on.
  wait_until registry 30 curl -sf -u "e2e:$(cat "$d/password")" "http://$REGISTRY/v2/"
  local code; code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/")
  [ "$code" = 401 ] || die "registry answers $code without credentials (expected 401)"
  log "registry up (pid $(pid_of registry), http://$REGISTRY, user e2e)"
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
  http = true
  insecure = true
EOF
  if ! alive buildkitd; then
    rm -f "$BUILDKIT_SOCK"
    # host network for RUN steps: no CNI here, and nothing beyond loopback is needed.
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
# beyond loopback is reachable). scripts/python-base-image.sh (mmdebstrap +
# docker import) makes it; scripts/docker-up.sh starts the Docker engine it
# needs. Pushed once per run dir (the registry's storage is kept across
# down/up); E2E_PYTHON_IMAGE is the digest-pinned reference.
python_image_present() {
  local ref=$1 repo digest
  repo=${ref#"$REGISTRY"/}; repo=${repo%@*}; digest=${ref#*@}
  curl -sf -o /dev/null -u "e2e:$(cat "$RUN_DIR/registry/password")" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REGISTRY/v2/$repo/manifests/$digest"
}

ensure_python_image() {
  local refile=$RUN_DIR/python-image.ref
  if [ -f "$refile" ] && python_image_present "$(cat "$refile")"; then
    PYTHON_IMAGE=$(cat "$refile"); return 0
  fi
  local s=$REPO_DIR/scripts
  [ -f "$s/python-base-image.sh" ] && [ -f "$s/docker-up.sh" ] \
    || die "scripts/python-base-image.sh and scripts/docker-up.sh are needed to make the Python base image"
  log "making the Python base image (scripts/python-base-image.sh) ..."
  bash "$s/docker-up.sh" >&2 || die "scripts/docker-up.sh failed"
  # A docker config of our own: the login never touches the user's ~/.docker.
  local dc=$RUN_DIR/docker-push-config tag
  mkdir -p "$dc"
  DOCKER_CONFIG=$dc docker login "$REGISTRY" -u e2e --password-stdin < "$RUN_DIR/registry/password" >/dev/null \
    || die "docker login $REGISTRY failed"
  # The local image's tag is its content key (suite + packages + sources), so
  # the registry tag says what is inside.
  local local_ref
  local_ref=$(bash "$s/python-base-image.sh" | tail -n 1) || die "scripts/python-base-image.sh failed"
  tag=${local_ref##*:}
  DOCKER_CONFIG=$dc bash "$s/python-base-image.sh" --push "$REGISTRY/$PY_REPO:$tag" >/dev/null \
    || die "scripts/python-base-image.sh --push $REGISTRY/$PY_REPO:$tag failed"
  local digest
  digest=$(curl -sfI -u "e2e:$(cat "$RUN_DIR/registry/password")" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$REGISTRY/v2/$PY_REPO/manifests/$tag" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
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
export E2E_PYTHON_IMAGE='$PYTHON_IMAGE'
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
  gen_pki
  start_etcd
  start_apiserver
  start_controller_manager
  start_knative
  start_registry
  start_buildkitd
  install_pulumi
  ensure_python_image
  write_env
  log "up in $((SECONDS - t0))s (profile $PROFILE)"
  echo "$ENV_FILE"
}

main "$@"
