#!/usr/bin/env bash
# npm run test:e2e — the real-engine end-to-end test:
#   up (Knative's shipped config) → scenario steps 1-7, and the local (render-only) stack → down (wiped)
#   up (hardened: secure-pod-defaults, custom container-name-template) → steps 1-3 → down
# and a closing "N passed, N failed" over both runs. Everything is stopped by PID on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS=$(mktemp -d)
passed=0 failed=0

stop() { E2E_WIPE=1 bash e2e/down.sh >/dev/null 2>&1 || true; }
trap stop EXIT

# run_profile PROFILE SCENARIO [SPEC...]: one fresh control plane, one scenario run (plus any
# other spec files, in the same mocha run).
run_profile() {
    local profile=$1 scenario=$2 log=$LOGS/$1.log env_file start
    shift 2
    echo "=== e2e: Knative config '$profile', scenario '$scenario' ($(date +%T))"
    stop
    start=$(date +%s)
    if ! env_file=$(E2E_KNATIVE_PROFILE=$profile bash e2e/up.sh | tail -n 1) || [ ! -f "$env_file" ]; then
        echo "--- e2e:$profile: the control plane did not start"
        failed=$((failed + 1)); return
    fi
    echo "--- control plane up in $(( $(date +%s) - start ))s ($env_file)"
    ( set -a; source "$env_file"; set +a
      E2E_SCENARIO=$scenario npx mocha --no-config --require ts-node/register/transpile-only \
          --timeout 1800000 --bail e2e/scenario.test.ts "$@" ) 2>&1 | tee "$log"
    local p f
    p=$(grep -Eo '[0-9]+ passing' "$log" | grep -Eo '^[0-9]+' || true)
    f=$(grep -Eo '[0-9]+ failing' "$log" | grep -Eo '^[0-9]+' || true)
    [ -z "$p$f" ] && f=1   # mocha died before counting
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
}

# The scenario previews with the policy pack, which needs its own packages.
[ -d policy/node_modules ] || npm --prefix policy ci --no-audit --no-fund >/dev/null
# The local stack loads its images into a Docker engine.
bash scripts/docker-up.sh >/dev/null || echo "--- e2e: Docker could not be started (the local stack's test will fail)"
run_profile default full e2e/local.test.ts
run_profile hardened basic
stop
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
