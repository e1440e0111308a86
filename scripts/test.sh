#!/usr/bin/env bash
# The project's test command (README "Two commands", docs/testing.md; CI runs it through .ci/run).
# Installs what the suites need (idempotent), starts the services they use, runs every suite,
# and ends with one line "N passed, N failed" over all of them.
#   SUITES="unit workflows apps verifier e2e" (default: all) picks suites; CI=true turns every
#   skip into a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
SUITES=${SUITES:-unit workflows apps verifier e2e}
LOGS=$(mktemp -d)
passed=0 failed=0 skipped=0 status=0

step() { echo; echo "=== $* ($(date +%T))"; }

# Adds a suite's counts from its closing lines: mocha ("N passing/failing/pending"),
# pytest ("N passed, N failed, N skipped") or a plain "N passed, N failed".
count() {
    local log=$1 p f s
    p=$(grep -Eo '([0-9]+) (passing|passed)' "$log" | tail -1 | grep -Eo '^[0-9]+' || true)
    f=$(grep -Eo '([0-9]+) (failing|failed)' "$log" | tail -1 | grep -Eo '^[0-9]+' || true)
    s=$(grep -Eo '([0-9]+) (pending|skipped)' "$log" | tail -1 | grep -Eo '^[0-9]+' || true)
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
    echo "--- $2: ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped"
}

# Runs one suite, keeps its output, and counts it; a suite that dies without a count fails once.
suite() {
    local name=$1; shift
    step "suite: $name"
    local log=$LOGS/$name.log rc
    "$@" 2>&1 | tee "$log"; rc=${PIPESTATUS[0]}
    count "$log" "$name"
    if [ "$rc" -ne 0 ]; then
        status=1
        grep -Eq '[0-9]+ (failing|failed)' "$log" || { failed=$((failed + 1)); echo "--- $name exited $rc without a test count"; }
    fi
}

step "install dependencies"
bash scripts/install-deps.sh || { echo "installing dependencies failed"; echo "0 passed, 1 failed"; exit 1; }
# A Node.js the pinned Pulumi SDK supports (22+): the system's if it is one, else one from the npm registry.
# shellcheck source=scripts/node.sh
source scripts/node.sh || { echo "no supported Node.js"; echo "0 passed, 1 failed"; exit 1; }
npm ci --no-audit --no-fund || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
# The policy pack is its own npm package (pulumi preview --policy-pack policy loads it from there).
npm --prefix policy ci --no-audit --no-fund || { echo "npm ci in policy/ failed"; echo "0 passed, 1 failed"; exit 1; }

for s in $SUITES; do
    case $s in
        unit) suite unit npx mocha ;;
        workflows) suite workflows bash scripts/actionlint.sh ;;
        apps) step "start Docker and the registry"
              if bash scripts/docker-up.sh; then suite apps bash scripts/test-apps.sh
              else failed=$((failed + 1)); status=1; echo "--- apps: Docker could not be started"; fi ;;
        verifier) suite verifier bash verifier/e2e/test.sh ;;
        e2e)  suite e2e bash e2e/test.sh ;;
        *) echo "unknown suite $s"; exit 2 ;;
    esac
done

echo
[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
