#!/usr/bin/env bash
# bench/app.sh (npm run bench:app) — measure the app image against the
# tutorial's way of serving it, and print the figures. Not a test.
#
# Usage: bash bench/app.sh [--version v1] [--duration 5] [--rounds 3] [--cpus 2,1]
#                          [--connections 8,64] [--cold-runs 5]
# Needs: scripts/install-deps.sh (wrk, docker.io, mmdebstrap) and
# scripts/docker-up.sh (a running dockerd). The base image is PYTHON_IMAGE if
# set (it must be present locally), else the offline base built by
# scripts/python-base-image.sh. Everything runs on loopback; every load run
# is bounded by --duration.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v wrk >/dev/null || { echo "bench: wrk missing: run scripts/install-deps.sh" >&2; exit 2; }
"${DOCKER:-docker}" info >/dev/null 2>&1 || { echo "bench: docker daemon not reachable: run scripts/docker-up.sh" >&2; exit 2; }
base="${PYTHON_IMAGE:-}"
if [ -z "$base" ]; then
  base="$(bash "$repo/scripts/python-base-image.sh" | tail -n1)"
fi
python="$repo/.venv/bin/python"
[ -x "$python" ] || python=python3
exec "$python" "$repo/bench/app_bench.py" --base "$base" "$@"
