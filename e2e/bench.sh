#!/usr/bin/env bash
# npm run bench:e2e — figures, not a test: e2e/bench.ts (a traffic-only pulumi up of the whole
# program next to a bare one-resource program, in turns, and where the program's time goes) on a
# fresh cluster. Bring-up times are e2e/smoke.sh's (docs/e2e-harness.md). Stops everything on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'E2E_WIPE=1 bash e2e/down.sh >/dev/null 2>&1 || true' EXIT
E2E_WIPE=1 bash e2e/down.sh >/dev/null 2>&1 || true
start=$(date +%s)
env_file=$(bash e2e/up.sh | tail -n 1)
echo "fresh cluster up in $(($(date +%s) - start)) s (build cache warm)"
set -a; source "$env_file"; set +a
npx ts-node --transpile-only e2e/bench.ts
