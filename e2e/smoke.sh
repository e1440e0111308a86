#!/usr/bin/env bash
# e2e/smoke.sh — proves the e2e infrastructure end to end, independent of the
# project's program:
#   1. up on a fresh control plane (timed), down, up again (timed: the warm up);
#   2. a throwaway Pulumi TypeScript project in a temp dir (this repo's
#      node_modules symlinked in) is `pulumi up`-ed with the built CLI, the
#      built language host and the built plugins: a Namespace (kubernetes
#      provider), a docker-build Image built by BuildKit FROM the e2e Python
#      base and pushed to the e2e registry, a Knative Service with the BYO
#      template name <svc>-a (CustomResource), and a dynamic resource (the
#      engine must find pulumi-resource-pulumi-nodejs on PATH);
#   3. kubectl sees Revision <svc>-a, created by Knative's controller; the
#      image is in the registry; a no-op `pulumi up --expect-no-changes` passes;
#   4. `pulumi destroy` removes it all (the Namespace deletion needs the
#      namespace controller); down.
# Env in: as up.sh; E2E_SMOKE_KEEP=1 leaves the control plane up at the end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

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
  curl -sf -o /dev/null -u "$E2E_REGISTRY_USER:$E2E_REGISTRY_PASSWORD" \
    -H 'Accept: application/vnd.oci.image.index.v1+json' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$E2E_REGISTRY/v2/e2e-smoke/app/manifests/${ref#*@}" || die "pushed digest not in the registry"
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

main() {
  local t0=$SECONDS
  UP_TIMES=()
  # A fresh control plane first (whatever was running is stopped and wiped).
  E2E_WIPE=1 bash "$E2E_DIR/down.sh"
  local cache_state="warm build cache"
  [ -x "$E2E_CACHE/current/pulumi" ] || cache_state="cold build cache"
  timed_up "fresh control plane, $cache_state"
  bash "$E2E_DIR/down.sh"
  timed_up "restart, warm"
  timed_up "already up (no-op)"

  SMOKE_DIR=$(mktemp -d /tmp/knative-rollout-smoke.XXXXXX)
  trap 'rm -rf "$SMOKE_DIR"' EXIT
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
  [ "${E2E_SMOKE_KEEP:-0}" = 1 ] || E2E_WIPE=1 bash "$E2E_DIR/down.sh"
  local IFS=';'
  log "up timings: ${UP_TIMES[*]}"
  log "SMOKE PASSED in $((SECONDS - t0))s"
}

# Run only when executed (sourcing gives make_project to other scripts).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
