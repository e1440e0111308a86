#!/usr/bin/env bash
# verifier/e2e/test.sh: the traffic verifier end to end on loopback. Both app versions run under
# gunicorn (the repo's .venv) behind a real nginx that splits requests with split_clients, as an
# ingress does; the verifier must accept true splits, reject a wrong one and report a dead backend
# as errors. Ends with mocha's "N passing / N failing" lines. Needs: bash scripts/install-deps.sh.
# Works with CI=true and no stdin; every process it starts is stopped on exit.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=("nginx (Debian package nginx-light)")
[ -x .venv/bin/gunicorn ] || missing+=(".venv/bin/gunicorn")
if [ "${#missing[@]}" -gt 0 ]; then
    echo "verifier e2e: missing ${missing[*]}; run: bash scripts/install-deps.sh"
    echo "  0 passing"
    echo "  1 failing"
    exit 1
fi

# The suite records the PID of every server it starts here; whatever it leaves (a crash, a
# signal) is stopped on the way out.
VERIFY_E2E_DIR=$(mktemp -d /tmp/verifier-e2e.XXXXXX)
export VERIFY_E2E_DIR
cleanup() {
    local f pid
    for f in "$VERIFY_E2E_DIR"/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        kill -TERM "$pid" 2>/dev/null || true
    done
    sleep 0.5
    for f in "$VERIFY_E2E_DIR"/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$VERIFY_E2E_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

npx mocha --no-config --require ts-node/register/transpile-only --extension ts --timeout 120000 \
    'verifier/e2e/*.test.ts' </dev/null
