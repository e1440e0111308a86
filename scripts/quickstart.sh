#!/usr/bin/env bash
# scripts/quickstart.sh (npm run quickstart) — from a fresh clone to live traffic split on a local
# Knative, in one command:
#
#   1. Node.js      a version the pinned Pulumi SDK supports (scripts/node.sh)
#   2. packages     npm dependencies of the program and of the policy pack
#   3. Pulumi CLI   the one on PATH, else the harness's build of the pinned CLI (step 4 builds it)
#   4. cluster      the local Knative cluster of the e2e harness, with its data plane: kubelet,
#                   containerd, Knative's activator/autoscaler/queue-proxy, Traefik as the ingress,
#                   a registry with authentication and BuildKit (e2e/up.sh; built from source the
#                   first time, cached after)
#   5. stack        the stack `quickstart` aimed at that cluster, on a local state backend
#   6. pulumi up    builds and pushes both app images, bootstraps both pinned revisions, applies
#                   the split (rolloutPercent 30: v1 70%, v2 30%), waits until Ready
#   7. measure      the split users get, measured on live requests by the verifier
#
# and prints the Service URL, the traffic table, the measured split and what to try next.
# Re-running it is quick: everything it built or started is reused.
#
# Usage: npm run quickstart [-- --percent P] [-- --down]
#   --percent P   the candidate's share for this run (default 30, or the stack's current one)
#   --down        destroy the stack and stop the cluster (e2e/down.sh)
#   --help        this text
# Logs: .quickstart/quickstart.log (every command's full output).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
STACK=quickstart
LOG_DIR=$REPO/.quickstart
LOG=$LOG_DIR/quickstart.log
STEPS=7
PERCENT=
DOWN=0

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
        --percent) PERCENT=${2:-}; shift 2 ;;
        --percent=*) PERCENT=${1#*=}; shift ;;
        --down) DOWN=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "quickstart: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
if [ -n "$PERCENT" ] && ! [[ $PERCENT =~ ^([0-9]|[1-9][0-9]|100)$ ]]; then
    echo "quickstart: --percent must be an integer from 0 to 100, got '$PERCENT'" >&2; exit 2
fi

mkdir -p "$LOG_DIR"
: >>"$LOG"
START=$SECONDS
STEP=0

elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
say() { printf '%s\n' "$*"; printf '\n=== %s %s\n' "$(date +%T)" "$*" >>"$LOG"; }

# fail WHAT HINT: stop with what failed, the log's tail and what to do.
fail() {
    printf '\n\033[1mstep %d of %d failed: %s\033[0m (after %s)\n' "$STEP" "$STEPS" "$1" "$(elapsed "$START")" >&2
    printf 'last lines of %s:\n' "${LOG#"$REPO"/}" >&2
    tail -n 25 "$LOG" | sed 's/^/  | /' >&2
    printf '\nwhat to do: %s\n' "$2" >&2
    exit 1
}

# step TITLE: announce the next step.
step() {
    STEP=$((STEP + 1))
    STEP_START=$SECONDS
    say "[$STEP/$STEPS] $1"
}
done_step() { printf '      done in %s (%s in all)\n' "$(elapsed "$STEP_START")" "$(elapsed "$START")"; }

# run CMD...: the command's output goes to the log only.
run() { "$@" >>"$LOG" 2>&1; }

# run_showing PATTERN CMD...: the command's output goes to the log; lines matching PATTERN are
# shown as progress, with the elapsed time.
run_showing() {
    local pattern=$1; shift
    local status=0
    { "$@" 2>&1; echo "exit-status $?"; } | while IFS= read -r line; do
        printf '%s\n' "$line" >>"$LOG"
        case $line in
            "exit-status "*) exit "${line#exit-status }" ;;
        esac
        if [[ $line =~ $pattern ]]; then printf '      %s  %s\n' "$(elapsed "$STEP_START")" "${line:0:110}"; fi
    done || status=$?
    return $status
}

if [ "$DOWN" = 1 ]; then
    STEPS=2
    step "destroying the stack $STACK"
    if [ -f e2e/.run/env.sh ]; then
        # shellcheck disable=SC1091
        source e2e/.run/env.sh
        run pulumi destroy --stack "$STACK" --yes --non-interactive || say "      (nothing to destroy, or the cluster is down)"
    fi
    done_step
    step "stopping the local cluster (e2e/down.sh)"
    run bash e2e/down.sh || fail "e2e/down.sh" "see the log; e2e/down.sh lists what it could not remove"
    done_step
    say "down in $(elapsed "$START"); the build cache stays (~/.cache/knative-rollout-e2e)"
    exit 0
fi

printf 'quickstart: live traffic split on a local Knative (full log: %s)\n' "${LOG#"$REPO"/}"

step "Node.js"
# shellcheck source=scripts/node.sh
source scripts/node.sh 2>>"$LOG" || fail "no Node.js the Pulumi SDK supports" "install Node.js 22 or newer, or check that the npm registry is reachable"
printf '      %s\n' "$(command -v node) $(node --version)"
done_step

step "npm packages"
lock_hash=$(cat package-lock.json policy/package-lock.json | sha256sum | cut -c1-16)
if [ "$(cat node_modules/.quickstart-lock 2>/dev/null)" = "$lock_hash" ] && [ -d policy/node_modules ]; then
    printf '      up to date\n'
else
    run npm ci --no-audit --no-fund || fail "npm ci" "check the npm registry is reachable; the log has npm's error"
    run npm --prefix policy ci --no-audit --no-fund || fail "npm ci in policy/" "check the npm registry is reachable"
    echo "$lock_hash" >node_modules/.quickstart-lock
fi
done_step

step "Pulumi CLI"
if command -v pulumi >/dev/null 2>&1; then
    printf '      using %s (%s)\n' "$(command -v pulumi)" "$(pulumi version 2>/dev/null)"
    USE_OWN_CLI=1
else
    printf '      none on PATH: the cluster step builds the pinned one (e2e/lib/versions.sh)\n'
    USE_OWN_CLI=0
fi
done_step

step "local Knative cluster (the first run builds it from source: about 30 minutes on 2 cores)"
# The cluster runs in a network namespace of its own, with a kubelet and containerd: root, Linux.
[ "$(id -u)" = 0 ] || fail "the local cluster needs root (network namespace, kubelet, containerd)" "run npm run quickstart as root, or use the no-cluster paths: docs/without-a-cluster.md"
command -v go >/dev/null 2>&1 ||
    fail "Go is needed to build the cluster's binaries from their modules (e2e/build.sh)" "install Go 1.26 or newer (the Go module proxy must be reachable), then run npm run quickstart again"
[ "$(uname -m)" = x86_64 ] || printf '      note: images are built for linux/amd64 (imagePlatform); on %s set imagePlatform to your platform\n' "$(uname -m)"
bash scripts/install-deps.sh >>"$LOG" 2>&1 || fail "installing Debian packages (scripts/install-deps.sh)" "run as root on Debian/Ubuntu, or install docker.io, docker-registry, mmdebstrap yourself"
run_showing '^\[(build|e2e) [0-9:]+\] ' bash e2e/up.sh ||
    fail "starting the cluster (e2e/up.sh)" "the failing component and its log are named above; docs/e2e-harness.md lists the pitfalls"
ENV_FILE=$(grep -o '/[^ ]*/env.sh$' "$LOG" | tail -n 1)
[ -f "$ENV_FILE" ] || fail "the cluster wrote no env file" "see the log"
# shellcheck disable=SC1090
source "$ENV_FILE"
if [ "$USE_OWN_CLI" = 1 ]; then
    # Your CLI, with the harness's plugins and state backend.
    PATH=$(dirname "$(command -v pulumi)"):$PATH
fi
[ -n "${E2E_INGRESS:-}" ] || fail "the cluster has no ingress (E2E_DATAPLANE=0?)" "unset E2E_DATAPLANE and run again"
printf '      ingress %s, domain %s, registry %s\n' "$E2E_INGRESS" "$E2E_DOMAIN" "$E2E_REGISTRY"
done_step

step "stack $STACK (state in ${PULUMI_BACKEND_URL#file://})"
if ! pulumi stack select "$STACK" --non-interactive >>"$LOG" 2>&1; then
    run pulumi stack init "$STACK" --non-interactive || fail "pulumi stack init $STACK" "see the log"
fi
cfg() { run pulumi config set --stack "$STACK" --non-interactive "$@" || fail "pulumi config set $1" "see the log"; }
cfg knative-rollout:registry "$E2E_REGISTRY"
cfg knative-rollout:pythonImage "$E2E_PYTHON_IMAGE"
cfg knative-rollout:registryUsername "$E2E_REGISTRY_USER"
cfg --secret knative-rollout:registryPassword "$E2E_REGISTRY_PASSWORD"
# Whether the stack file sets KEY (`pulumi config get` also answers with Pulumi.yaml's defaults,
# so it cannot tell): a value you set on this stack is kept.
stack_sets() { grep -q "^  knative-rollout:$1:" "Pulumi.$STACK.yaml" 2>/dev/null; }
stack_sets stableVersion || cfg knative-rollout:stableVersion v1
stack_sets candidateVersion || cfg knative-rollout:candidateVersion v2
if [ -n "$PERCENT" ]; then
    cfg knative-rollout:rolloutPercent "$PERCENT"
elif ! stack_sets rolloutPercent; then
    cfg knative-rollout:rolloutPercent 30
fi
SERVICE=helloworld-python
NAMESPACE=revs
HOST=$SERVICE.$NAMESPACE.$E2E_DOMAIN
# The gate's step is off: the verifier runs right after `pulumi up` instead (the command provider
# it would use is not available everywhere); the settings are what `npm run rollout` uses too.
cfg --path knative-rollout:verify.address "$E2E_INGRESS"
cfg --path knative-rollout:verify.host "$HOST"
cfg --path knative-rollout:verify.gate false
printf '      Pulumi.%s.yaml: %s stable, %s candidate at %s%%\n' "$STACK" \
    "$(pulumi config get --stack "$STACK" knative-rollout:stableVersion)" \
    "$(pulumi config get --stack "$STACK" knative-rollout:candidateVersion)" \
    "$(pulumi config get --stack "$STACK" knative-rollout:rolloutPercent)"
done_step

step "pulumi up (build and push both images, bootstrap both revisions, split, wait until Ready)"
run_showing '(creat|updat)(ed|ing failed)|error:|Resources:|Duration:' pulumi up --stack "$STACK" --yes --non-interactive ||
    fail "pulumi up" "read the error in the log; a revision that is not Ready is named there. Fix it and run npm run quickstart again"
done_step

step "measure the split on live requests (npm run verify, through the ingress)"
PCT=$(pulumi config get --stack "$STACK" knative-rollout:rolloutPercent)
STABLE=$(pulumi config get --stack "$STACK" knative-rollout:stableVersion)
CANDIDATE=$(pulumi config get --stack "$STACK" knative-rollout:candidateVersion)
EXPECT="$STABLE=$((100 - PCT)),$CANDIDATE=$PCT"
VERIFY=(npm run --silent verify -- --url "http://$HOST/" --address "$E2E_INGRESS" --expect "$EXPECT")
REPORT=$("${VERIFY[@]}" 2>>"$LOG"); verdict=$?
printf '%s\n' "$REPORT" >>"$LOG"
[ "$verdict" -eq 0 ] || { printf '%s\n' "$REPORT"; fail "the split users get is not $EXPECT (verifier exit $verdict)" "see the verifier's report above"; }
done_step

printf '\n\033[1mLive traffic split on a local Knative, in %s.\033[0m\n\n' "$(elapsed "$START")"
printf 'Service URL:   %s   (reach it through the ingress: curl -H "Host: %s" http://%s/)\n' \
    "$(pulumi stack output --stack "$STACK" url 2>/dev/null)" "$HOST" "$E2E_INGRESS"
printf 'traffic table (spec.traffic):\n'
pulumi stack output --stack "$STACK" traffic --json 2>/dev/null |
    node -e 'for (const t of JSON.parse(require("fs").readFileSync(0, "utf8"))) console.log(`  ${String(t.percent).padStart(3)}%  ${t.revisionName ?? "(latest)"}  tag ${t.tag}`)'
printf '\nmeasured on live requests:\n'
printf '%s\n' "$REPORT" | sed -n '/^version/,/^$/p' | sed 's/^/  /'
printf '%s\n' "$REPORT" | grep '^decision:' | sed 's/^/  /'
cat <<EOF

Next, in this shell after: source scripts/node.sh && source ${ENV_FILE#"$REPO"/}   (Node.js 22, the cluster's settings)
  move traffic:      pulumi config set rolloutPercent 80 --stack $STACK && pulumi up --stack $STACK
  check it:          ${VERIFY[*]:0:5} --url http://$HOST/ --address $E2E_INGRESS --expect $STABLE=20,$CANDIDATE=80
  progressive:       npm run rollout -- --stack $STACK      (steps, judged on live traffic: docs/rollout.md)
  tear it all down:  npm run quickstart -- --down
EOF
