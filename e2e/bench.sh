#!/usr/bin/env bash
# npm run bench:e2e — figures, not a test: e2e:up timings (fresh API server, after a plain down,
# while up), then e2e/bench.ts (traffic-only pulumi up: whole program vs a bare one-resource
# program) on that API server. Stops everything on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'E2E_WIPE=1 bash e2e/down.sh >/dev/null 2>&1 || true' EXIT
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'; }

E2E_WIPE=1 bash e2e/down.sh >/dev/null 2>&1 || true
fresh=$(secs bash e2e/up.sh)
bash e2e/down.sh >/dev/null 2>&1
again=$(secs bash e2e/up.sh)
while_up=$(secs bash e2e/up.sh)
printf 'npm run e2e:up (build cache warm), seconds:\n  fresh API server (after E2E_WIPE=1 down): %.1f\n  after a plain down:                        %.1f\n  while already up:                          %.2f\n' "$fresh" "$again" "$while_up"
echo "  (a cold build of every binary is separate: bash e2e/build.sh on an empty cache, see docs/e2e-harness.md)"

env_file=$(bash e2e/up.sh | tail -n 1)
E2E_WIPE=1 bash e2e/down.sh >/dev/null 2>&1   # the benchmark starts from an empty API server
env_file=$(bash e2e/up.sh | tail -n 1)
set -a; source "$env_file"; set +a
npx ts-node --transpile-only e2e/bench.ts
