#!/usr/bin/env bash
# e2e/smoke.sh — proves the e2e infrastructure end to end. Parts (default: all, in order):
#  infra      independent of the project's program:
#    1. up on a fresh cluster (timed), down, up again (timed: the warm up);
#    2. a throwaway Pulumi TypeScript project in a temp dir (this repo's
#       node_modules symlinked in) is `pulumi up`-ed with the built CLI, the
#       built language host and the built plugins: a Namespace (kubernetes
#       provider), a docker-build Image built by BuildKit FROM the e2e Python
#       base and pushed to the e2e registry, a Knative Service with the BYO
#       template name <svc>-a (CustomResource), and a dynamic resource (the
#       engine must find pulumi-resource-pulumi-nodejs on PATH);
#    3. kubectl sees Revision <svc>-a, created by Knative's controller; the
#       image is in the registry; a no-op `pulumi up --expect-no-changes` passes;
#    4. `pulumi destroy` removes it all (the Namespace deletion needs the
#       namespace controller).
#  dataplane  the data plane, still without the program: a Knative Service with
#       two BYO revisions of the locally made hello image goes Ready, and
#       requests through Traefik (Host header) split exactly as spec.traffic says
#       (70/30, then 20/80; the cluster-local entry point; a tag URL); an image
#       from the registry without an image pull Secret fails to pull, with one it
#       is pulled.
#  program    the project's own program, unmodified, in a scratch copy: stack
#       e2e (v1 stable, v2 candidate) at rolloutPercent 30 then 80, both revisions
#       Ready, 200 requests through Traefik each time (140/60, then 40/160);
#       destroy; then the same stack without registry credentials: the revision
#       cannot pull its image (ErrImagePull, "no basic auth credentials").
# Usage: bash e2e/smoke.sh [infra] [dataplane] [program]
# Env in: as up.sh; E2E_SMOKE_KEEP=1 leaves the cluster up at the end. Without
# "infra", the cluster is used as found (started if it is not up).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$E2E_DIR/lib/dataplane.sh"

SVC=smoke
NS=e2e-smoke

timed_up() {
  local label=$1 t0=$SECONDS env
  env=$(bash "$E2E_DIR/up.sh" | tail -n 1)
  UP_TIMES+=("$label: $((SECONDS - t0))s")
  log "up ($label) took $((SECONDS - t0))s"
  # shellcheck disable=SC1090
  source "$env"
}

make_project() {
  local dir=$1
  ln -s "$REPO_DIR/node_modules" "$dir/node_modules"
  cat > "$dir/Pulumi.yaml" <<'EOF'
name: e2e-smoke
runtime:
  name: nodejs
  options:
    typescript: true
EOF
  printf '{"name":"e2e-smoke","version":"0.0.0","main":"index.ts"}\n' > "$dir/package.json"
  cat > "$dir/tsconfig.json" <<'EOF'
{"compilerOptions":{"strict":true,"target":"es2020","module":"commonjs","moduleResolution":"node","esModuleInterop":true,"skipLibCheck":true},"files":["index.ts"]}
EOF
  mkdir -p "$dir/app"
  # Two lines: the base must come from the e2e registry, and a RUN step
  # proves BuildKit's OCI worker can execute (runc) and the base has venv.
  printf 'FROM %s\nRUN python3 -m venv /opt/venv\n' "$E2E_PYTHON_IMAGE" > "$dir/app/Dockerfile"
  cat > "$dir/index.ts" <<'EOF'
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as dockerbuild from "@pulumi/docker-build";

const env = (k: string) => { const v = process.env[k]; if (!v) throw new Error(`${k} is not set`); return v; };
const registry = env("E2E_REGISTRY");

const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "e2e-smoke" } });

// BuildKit through the buildx "remote" builder named in the env file; push
// credentials given explicitly (the env's DOCKER_CONFIG holds none), and they
// also authenticate BuildKit's pull of the base image.
const image = new dockerbuild.Image("app", {
  context: { location: "./app" },
  builder: { name: env("E2E_BUILDER") },
  push: true,
  tags: [`${registry}/e2e-smoke/app:a`],
  registries: [{ address: registry, username: env("E2E_REGISTRY_USER"), password: pulumi.secret(env("E2E_REGISTRY_PASSWORD")) }],
});

const svc = new k8s.apiextensions.CustomResource("ksvc", {
  apiVersion: "serving.knative.dev/v1",
  kind: "Service",
  metadata: { name: "smoke", namespace: ns.metadata.name },
  spec: { template: { metadata: { name: "smoke-a" }, spec: { containers: [{ image: image.ref }] } } },
});

// A dynamic resource: the engine runs it through pulumi-resource-pulumi-nodejs.
const echoProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: any) { return { id: "dyn-1", outs: { value: inputs.value, echoed: inputs.value } }; },
};
class Echo extends pulumi.dynamic.Resource {
  public readonly echoed!: pulumi.Output<string>;
  constructor(name: string, value: string) { super(echoProvider, name, { value, echoed: undefined }, {}); }
}
const dyn = new Echo("dyn", "ok");

export const imageRef = image.ref;
export const service = svc.metadata.name;
export const dynamicOut = dyn.echoed;
EOF
}

check_cluster() {
  local ref
  ref=$(pulumi stack output imageRef)
  log "image: $ref"
  [[ "$ref" == "$E2E_REGISTRY/e2e-smoke/app"*@sha256:* ]] || die "unexpected image ref '$ref'"
  # The digest must really be in the registry (pushed with the explicit credentials).
  curl -sf --cacert "$E2E_REGISTRY_CA" -o /dev/null -u "$E2E_REGISTRY_USER:$E2E_REGISTRY_PASSWORD" \
    -H 'Accept: application/vnd.oci.image.index.v1+json' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "https://$E2E_REGISTRY/v2/e2e-smoke/app/manifests/${ref#*@}" || die "pushed digest not in the registry"
  [ "$(pulumi stack output dynamicOut)" = ok ] || die "dynamic resource output missing"
  local i
  for i in $(seq 60); do kubectl -n "$NS" get revision "$SVC-a" >/dev/null 2>&1 && break; sleep 0.5; done
  kubectl -n "$NS" get revision "$SVC-a" || die "Knative's controller did not create Revision $SVC-a"
  kubectl -n "$NS" get serviceaccount default >/dev/null || die "namespace $NS has no default ServiceAccount"
  local name want=user-container
  name=$(kubectl -n "$NS" get ksvc "$SVC" -o jsonpath='{.spec.template.spec.containers[0].name}')
  [ "$E2E_KNATIVE_PROFILE" = hardened ] && want=app-$SVC
  [ "$name" = "$want" ] || die "Knative defaulted the container name to '$name', expected '$want' for profile $E2E_KNATIVE_PROFILE"
  # secure-pod-defaults: Knative adds a restricted securityContext only on "hardened".
  local drop want_drop=""
  drop=$(kubectl -n "$NS" get ksvc "$SVC" -o jsonpath='{.spec.template.spec.containers[0].securityContext.capabilities.drop[0]}')
  [ "$E2E_KNATIVE_PROFILE" = hardened ] && want_drop=ALL
  [ "$drop" = "$want_drop" ] || die "securityContext capabilities.drop is '$drop', expected '$want_drop' for profile $E2E_KNATIVE_PROFILE"
  log "Revision $SVC-a exists; Knative defaulted container name '$name', capabilities.drop '$drop' (profile $E2E_KNATIVE_PROFILE)"
}

# ------------------------------------------------------------------ infra
smoke_infra() {
  # A fresh cluster first (whatever was running is stopped and wiped).
  E2E_WIPE=1 bash "$E2E_DIR/down.sh"
  local cache_state="warm build cache"
  [ -x "$E2E_CACHE/current/pulumi" ] || cache_state="cold build cache"
  timed_up "fresh cluster, $cache_state"
  bash "$E2E_DIR/down.sh"
  timed_up "restart, warm"
  timed_up "already up (no-op)"

  SMOKE_DIR=$(mktemp -d /tmp/knative-rollout-smoke.XXXXXX)
  make_project "$SMOKE_DIR"
  cd "$SMOKE_DIR"
  pulumi stack init smoke >/dev/null
  local t1=$SECONDS
  pulumi up --yes --non-interactive --skip-preview || die "pulumi up failed"
  log "pulumi up took $((SECONDS - t1))s"
  check_cluster
  t1=$SECONDS
  pulumi up --yes --non-interactive --expect-no-changes >/dev/null || die "no-op pulumi up saw changes"
  log "no-op pulumi up took $((SECONDS - t1))s"
  t1=$SECONDS
  pulumi destroy --yes --non-interactive >/dev/null || die "pulumi destroy failed"
  log "pulumi destroy took $((SECONDS - t1))s"
  local i
  for i in $(seq 60); do kubectl get namespace "$NS" >/dev/null 2>&1 || break; sleep 0.5; done
  kubectl get namespace "$NS" >/dev/null 2>&1 && die "namespace $NS was not deleted (namespace controller)"
  pulumi stack rm --yes smoke >/dev/null
  cd /
  rm -rf "$SMOKE_DIR"
}

# ------------------------------------------------------------------ dataplane
DP_NS=dp-smoke   # + a per-run suffix

# hello_ksvc REV1 [REV2 P1 P2]: the Service with one revision, or two and a split
# (the second revision carries the tag "candidate").
hello_ksvc() {
  local traffic=""
  local rev=${2:-$1} version=${2:-$1}
  if [ -n "${2:-}" ]; then
    traffic="  traffic:
  - {revisionName: hello-$1, percent: $3}
  - {revisionName: hello-$2, percent: $4, tag: candidate}"
  fi
  kubectl apply -f - >/dev/null <<EOF
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello, namespace: $DP_NS}
spec:
  template:
    metadata: {name: hello-$rev}
    spec:
      containers:
      - image: $E2E_HELLO_IMAGE
        env: [{name: VERSION, value: $version}]
$traffic
EOF
}

# expect_split HOST N ADDR WANT1 WANT2: N requests; v1 and v2 must have exactly these counts.
# Traefik's weighted round robin is deterministic, but a configuration reload
# while the requests run restarts its schedule (a split then misses by one or
# two): a mismatch is logged and counted once more.
expect_split() {
  local host=$1 n=$2 addr=$3 w1=$4 w2=$5 out c1 c2 try
  for try in 1 2; do
    out=$(count_split "$host" "$n" "$addr")
    c1=$(count_of "v1 rev=" <<<"$out"); c2=$(count_of "v2 rev=" <<<"$out")
    log "  $n requests to $host via $addr: v1 $c1, v2 $c2 (want $w1/$w2)"
    [ "$c1" = "$w1" ] && [ "$c2" = "$w2" ] && return 0
    [ "$try" = 1 ] && log "  (not exact: counting again)"
  done
  echo "$out" >&2; die "split through Traefik is $c1/$c2, expected $w1/$w2"
}

smoke_dataplane() {
  local t1=$SECONDS host
  # A namespace of its own per run: deleting one takes up to the pods' grace
  # period (Knative sets 300 s), so an earlier run's may still be terminating.
  DP_NS=dp-smoke-$(date +%s)
  host=$(host_of hello "$DP_NS")
  kubectl create namespace "$DP_NS" >/dev/null
  hello_ksvc v1
  wait_for 120 "ksvc hello (hello-v1) Ready" ksvc_ready "$DP_NS" hello || { kubectl -n "$DP_NS" get ksvc,rev,pods -o wide >&2; die "hello-v1 not Ready"; }
  sleep 1   # Traefik applies a KIngress up to providersThrottleDuration after Knative reports it Ready
  log "hello-v1 Ready after $((SECONDS - t1))s; first answer: $(fetch "$host")"
  t1=$SECONDS
  hello_ksvc v1 v2 70 30
  wait_for 120 "ksvc hello (hello-v2, 70/30) Ready" ksvc_ready "$DP_NS" hello || { kubectl -n "$DP_NS" get ksvc,rev,pods -o wide >&2; die "hello-v2 not Ready"; }
  log "hello-v2 Ready, 70/30 applied, after $((SECONDS - t1))s"
  kubectl -n "$DP_NS" get pods -o wide >&2
  # Traefik's weighted round robin is deterministic: exact counts.
  expect_split "$host" 200 "$E2E_INGRESS" 140 60
  expect_split "hello.$DP_NS.svc.cluster.local" 100 "$E2E_INGRESS_LOCAL" 70 30
  expect_split "$(host_of hello "$DP_NS" candidate)" 10 "$E2E_INGRESS" 0 10
  local t0; t0=$(date +%s%N)
  kubectl -n "$DP_NS" patch ksvc hello --type merge \
    -p '{"spec":{"traffic":[{"revisionName":"hello-v1","percent":20},{"revisionName":"hello-v2","percent":80,"tag":"candidate"}]}}' >/dev/null
  wait_for 60 "20/80 Ready" ksvc_ready "$DP_NS" hello || die "traffic patch to 20/80 not Ready"
  log "traffic-only patch to 20/80 Ready after $(ms_since "$t0") ms"
  expect_split "$host" 100 "$E2E_INGRESS" 20 80

  # Registry auth on the node: the Python base image (in the registry, by
  # digest) without, then with, an image pull Secret.
  no_creds_pull
  kubectl delete namespace "$DP_NS" --wait=false >/dev/null
  log "data plane smoke passed"
}

no_creds_pull() {
  local ns=$DP_NS msg
  kubectl -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: pull-without-secret, namespace: $ns}
spec:
  containers: [{name: c, image: "$E2E_PYTHON_IMAGE", command: [python3, -c, "import time; time.sleep(600)"], securityContext: {runAsUser: 10001, runAsNonRoot: true}}]
EOF
  pull_state() { kubectl -n "$ns" get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}{"|"}{.status.containerStatuses[0].state.waiting.message}{"|"}{.status.containerStatuses[0].imageID}'; }
  pull_failed() { [[ "$(pull_state pull-without-secret)" == *ImagePull* ]]; }
  wait_for 60 "ErrImagePull without credentials" pull_failed || die "a pull without credentials did not fail: $(pull_state pull-without-secret)"
  msg=$(pull_state pull-without-secret)
  log "  without an image pull Secret: ${msg%%|*}: $(echo "$msg" | cut -d'|' -f2 | grep -o 'no basic auth credentials\|unauthorized[^"]*\|401 Unauthorized' | head -1)"
  [[ "$msg" == *"no basic auth credentials"* ]] || log "  (full message: $msg)"
  kubectl -n "$ns" create secret docker-registry e2e-pull --docker-server="$E2E_REGISTRY" \
    --docker-username="$E2E_REGISTRY_USER" --docker-password="$E2E_REGISTRY_PASSWORD" >/dev/null
  kubectl -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: pull-with-secret, namespace: $ns}
spec:
  imagePullSecrets: [{name: e2e-pull}]
  containers: [{name: c, image: "$E2E_PYTHON_IMAGE", command: [python3, -c, "import time; time.sleep(600)"], securityContext: {runAsUser: 10001, runAsNonRoot: true}}]
EOF
  pulled() { [ -n "$(kubectl -n "$ns" get pod pull-with-secret -o jsonpath='{.status.containerStatuses[0].imageID}')" ]; }
  wait_for 90 "a pull with the Secret" pulled || die "a pull with the image pull Secret failed: $(pull_state pull-with-secret)"
  log "  with an image pull Secret: pulled ($(kubectl -n "$ns" get pod pull-with-secret -o jsonpath='{.status.containerStatuses[0].imageID}'))"
  kubectl -n "$ns" delete pod pull-without-secret pull-with-secret --grace-period=0 --wait=false >/dev/null 2>&1 || true
}

# ------------------------------------------------------------------ program
PROG_NS=revs PROG_SVC=helloworld-python

# The project as e2e/harness.ts's scratchProject() copies it.
scratch_program() {
  local dir=$1 f
  for f in Pulumi.yaml Pulumi.e2e.yaml index.ts package.json tsconfig.json tsconfig.pulumi.json; do
    [ -f "$REPO_DIR/$f" ] && cp "$REPO_DIR/$f" "$dir/"
  done
  for f in model components verifier apps; do
    [ -d "$REPO_DIR/$f" ] && cp -r "$REPO_DIR/$f" "$dir/"
  done
  ln -s "$REPO_DIR/node_modules" "$dir/node_modules"
}

# program_split WANT1 WANT2: 200 requests to the program's Service.
program_split() {
  local host out c1 c2 try
  host=$(host_of "$PROG_SVC" "$PROG_NS")
  for try in 1 2; do
    out=$(count_split "$host" 200)
    c1=$(count_of "v1 !" <<<"$out"); c2=$(count_of "v2 !" <<<"$out")
    log "  200 requests to $host: v1 $c1, v2 $c2 (want $1/$2)"
    [ "$c1" = "$1" ] && [ "$c2" = "$2" ] && return 0
    [ "$try" = 1 ] && log "  (not exact: counting again, see expect_split)"
  done
  echo "$out" >&2; die "the program's split is $c1/$c2, expected $1/$2"
}

stack_config() { pulumi config set --stack "$STACK" "knative-rollout:$1" "$2" >/dev/null; }

smoke_program() {
  PROG_DIR=$(mktemp -d /tmp/knative-rollout-program.XXXXXX)
  scratch_program "$PROG_DIR"
  cd "$PROG_DIR"
  STACK=e2e
  pulumi stack rm "$STACK" --force --yes >/dev/null 2>&1 || true
  cp "$REPO_DIR/Pulumi.e2e.yaml" .
  pulumi stack init "$STACK" >/dev/null
  stack_config registry "$E2E_REGISTRY"
  stack_config pythonImage "$E2E_PYTHON_IMAGE"
  stack_config registryUsername "$E2E_REGISTRY_USER"
  pulumi config set --stack "$STACK" --secret knative-rollout:registryPassword "$E2E_REGISTRY_PASSWORD" >/dev/null
  stack_config awaitReady true
  stack_config rolloutPercent 30
  local t1=$SECONDS
  pulumi up --stack "$STACK" --yes --non-interactive --skip-preview > "$LOGS/smoke-program-up1.log" 2>&1 \
    || { tail -n 40 "$LOGS/smoke-program-up1.log" >&2; die "pulumi up (rolloutPercent 30) failed"; }
  log "program: pulumi up (rolloutPercent 30) took $((SECONDS - t1))s"
  local r
  for r in v1 v2; do
    revision_ready "$PROG_NS" "$PROG_SVC-$r" || die "Revision $PROG_SVC-$r is not Ready"
  done
  kubectl -n "$PROG_NS" get revisions,pods -o wide >&2
  log "  first answer: $(fetch "$(host_of "$PROG_SVC" "$PROG_NS")")"
  program_split 140 60
  stack_config rolloutPercent 80
  t1=$SECONDS
  pulumi up --stack "$STACK" --yes --non-interactive --skip-preview > "$LOGS/smoke-program-up2.log" 2>&1 \
    || { tail -n 40 "$LOGS/smoke-program-up2.log" >&2; die "pulumi up (rolloutPercent 80) failed"; }
  log "program: pulumi up (rolloutPercent 80) took $((SECONDS - t1))s"
  program_split 40 160
  t1=$SECONDS
  pulumi destroy --stack "$STACK" --yes --non-interactive > "$LOGS/smoke-program-destroy.log" 2>&1 || die "pulumi destroy failed"
  log "program: pulumi destroy took $((SECONDS - t1))s"
  pulumi stack rm "$STACK" --yes >/dev/null

  program_without_credentials
  cd /
  rm -rf "$PROG_DIR"
  log "program smoke passed"
}

# The same stack without registryUsername/registryPassword: BuildKit still
# pushes (credentials in a DOCKER_CONFIG of this step only), but the program
# makes no image pull Secret, so containerd cannot pull the revision's image.
program_without_credentials() {
  STACK=e2e-nocreds
  local dc=$RUN_DIR/smoke-nocreds-docker-config
  mkdir -p "$dc"
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$E2E_REGISTRY" \
    "$(printf '%s:%s' "$E2E_REGISTRY_USER" "$E2E_REGISTRY_PASSWORD" | base64 -w0)" > "$dc/config.json"
  pulumi stack rm "$STACK" --force --yes >/dev/null 2>&1 || true
  cp "$REPO_DIR/Pulumi.e2e.yaml" "Pulumi.$STACK.yaml"
  pulumi stack init "$STACK" >/dev/null
  stack_config registry "$E2E_REGISTRY"
  stack_config pythonImage "$E2E_PYTHON_IMAGE"
  stack_config awaitReady true
  stack_config readyTimeoutSeconds 45
  stack_config rolloutPercent 30
  local t1=$SECONDS rc=0
  DOCKER_CONFIG=$dc pulumi up --stack "$STACK" --yes --non-interactive --skip-preview > "$LOGS/smoke-program-nocreds.log" 2>&1 || rc=$?
  [ "$rc" != 0 ] || die "pulumi up without registry credentials succeeded"
  log "program without credentials: pulumi up failed as it must (rc $rc, $((SECONDS - t1))s):"
  grep -E 'not Ready|ImagePull|no basic auth|ErrImagePull|Unable to fetch' "$LOGS/smoke-program-nocreds.log" | head -n 5 | sed 's/^/    | /' >&2 || true
  kubectl -n "$PROG_NS" get pods >&2 || true
  local why
  why=$(kubectl -n "$PROG_NS" get pods -o jsonpath='{range .items[*]}{.status.containerStatuses[*].state.waiting.reason}{": "}{.status.containerStatuses[*].state.waiting.message}{"\n"}{end}' | grep -m1 ImagePull || true)
  log "  a revision pod: ${why%%:*}: ...${why: -150}"
  [[ "$why" == *"no basic auth credentials"* ]] || die "expected the pods to fail with 'no basic auth credentials', got: ${why:-nothing}"
  kubectl -n "$PROG_NS" get revisions -o jsonpath='{range .items[*]}{.metadata.name}{": "}{.status.conditions[?(@.type=="Ready")].reason}{" — "}{.status.conditions[?(@.type=="Ready")].message}{"\n"}{end}' >&2 || true
  DOCKER_CONFIG=$dc pulumi destroy --stack "$STACK" --yes --non-interactive > "$LOGS/smoke-program-nocreds-destroy.log" 2>&1 || die "pulumi destroy (no credentials) failed"
  pulumi stack rm "$STACK" --yes >/dev/null
  rm -rf "$dc"
}

main() {
  local t0=$SECONDS parts=("$@") p
  [ ${#parts[@]} -gt 0 ] || parts=(infra dataplane program)
  UP_TIMES=()
  [[ " ${parts[*]} " == *" infra "* ]] || timed_up "as found"
  for p in "${parts[@]}"; do
    case $p in
      infra|dataplane|program) log "=== smoke: $p"; "smoke_$p" ;;
      *) die "unknown part '$p' (infra, dataplane, program)" ;;
    esac
  done
  [ "${E2E_SMOKE_KEEP:-0}" = 1 ] || E2E_WIPE=1 bash "$E2E_DIR/down.sh"
  local IFS=';'
  log "up timings: ${UP_TIMES[*]}"
  log "SMOKE PASSED (${parts[*]}) in $((SECONDS - t0))s"
}

# Run only when executed (sourcing gives make_project to other scripts).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
