#!/usr/bin/env bash
# npm run test:e2e — the real-engine end-to-end suites, on the harness's one-node cluster with
# Knative's control and data plane and Traefik as the ingress (e2e/up.sh):
#
#   Knative's shipped config, a fresh cluster:
#     e2e/scenario.test.ts (full)   the rollout on live traffic, every step measured
#     e2e/guardrails.test.ts        policy pack in preview, namespace ownership, bootstrap ownership, recovery
#     e2e/rollout.test.ts           the progressive rollout (npm run rollout) on live traffic
#     e2e/local.test.ts             the render-only `local` stack (no cluster)
#   the hardened config (secure-pod-defaults, a custom container-name-template), a fresh cluster:
#     e2e/scenario.test.ts (basic)  steps 1-3 on live traffic
#   e2e/teardown.test.ts            up, then down leaves nothing of its own behind
#
# Ends with one line "N passed, N failed" over every run. Everything is stopped on exit.
#   E2E_SUITES="scenario guardrails rollout local hardened teardown" (default: all) picks runs.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS=$(mktemp -d)
SUITES=${E2E_SUITES:-scenario guardrails rollout local hardened teardown}
passed=0 failed=0

stop() { E2E_WIPE=1 bash e2e/down.sh >/dev/null 2>&1 || true; }
trap stop EXIT

wants() { [[ " $SUITES " == *" $1 "* ]]; }

# fresh_cluster PROFILE: a wiped cluster with the profile's Knative config; prints the env file.
fresh_cluster() {
    local profile=$1 start env_file
    stop
    start=$(date +%s)
    if ! env_file=$(E2E_KNATIVE_PROFILE=$profile bash e2e/up.sh | tail -n 1) || [ ! -f "$env_file" ]; then
        echo "--- e2e:$profile: the cluster did not start" >&2
        return 1
    fi
    echo "--- cluster up in $(($(date +%s) - start))s (profile $profile, $env_file)" >&2
    echo "$env_file"
}

# run NAME ENV_FILE SPEC [ENV=VALUE...]: one mocha run, counted.
run() {
    local name=$1 env_file=$2 spec=$3 log=$LOGS/$1.log
    shift 3
    echo "=== e2e: $name ($spec, $(date +%T))"
    ( [ -n "$env_file" ] && { set -a; source "$env_file"; set +a; }
      env "$@" npx mocha --no-config --require ts-node/register/transpile-only --timeout 3600000 --bail "$spec" ) 2>&1 | tee "$log"
    local p f
    p=$(grep -Eo '[0-9]+ passing' "$log" | tail -n 1 | grep -Eo '^[0-9]+' || true)
    f=$(grep -Eo '[0-9]+ failing' "$log" | tail -n 1 | grep -Eo '^[0-9]+' || true)
    [ -z "$p$f" ] && f=1   # mocha died before counting
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    echo "--- e2e: $name: ${p:-0} passed, ${f:-0} failed"
}

# The previews with the policy pack need its own packages.
[ -d policy/node_modules ] || npm --prefix policy ci --no-audit --no-fund >/dev/null
# The local stack loads its images into a Docker engine.
bash scripts/docker-up.sh >/dev/null || echo "--- e2e: Docker could not be started (the local stack's test will fail)"

if wants scenario || wants guardrails || wants rollout || wants local; then
    if env_file=$(fresh_cluster default); then
        wants scenario && run scenario "$env_file" e2e/scenario.test.ts E2E_SCENARIO=full
        wants guardrails && run guardrails "$env_file" e2e/guardrails.test.ts
        wants rollout && run rollout "$env_file" e2e/rollout.test.ts
        wants local && run local "$env_file" e2e/local.test.ts
    else
        failed=$((failed + 1))
    fi
fi
if wants hardened; then
    if env_file=$(fresh_cluster hardened); then
        run hardened "$env_file" e2e/scenario.test.ts E2E_SCENARIO=basic
    else
        failed=$((failed + 1))
    fi
fi
if wants teardown; then
    stop
    run teardown "" e2e/teardown.test.ts
fi
stop
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
