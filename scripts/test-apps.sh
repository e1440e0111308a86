#!/usr/bin/env bash
# test-apps.sh — run the apps' test suite (tests/apps): Flask test client,
# gunicorn over loopback TCP, and the container tests (build on an offline
# Python base, run, SIGTERM, push to / pull from the test registry by digest).
#
# Usage: bash scripts/test-apps.sh [pytest arguments...]
#   e.g. bash scripts/test-apps.sh -m "not container"     (no Docker needed)
#
# Prerequisites: scripts/install-deps.sh (Debian packages, ./.venv) and, for
# the container tests, scripts/docker-up.sh (dockerd + registry on 127.0.0.1:5000).
# A missing prerequisite skips the tests that need it, with the reason; under
# CI=true it fails them instead.
# Environment: CI, DOCKER (client), TEST_PYTHON_IMAGE (use this base image
# instead of building one with scripts/python-base-image.sh).
# Exit status: pytest's. pytest's closing summary line ("N passed, ...") is
# the last line of output.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$repo/.venv/bin/python"
if [ ! -x "$python" ]; then
  echo "test-apps: $repo/.venv missing: run scripts/install-deps.sh" >&2
  exit 2
fi
cd "$repo" || exit 2
"$python" -m pytest tests/apps "$@"
exit $?
