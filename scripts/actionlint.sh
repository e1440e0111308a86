#!/usr/bin/env bash
# Lints the GitHub workflows (.github/workflows/*.yml) with actionlint, with shellcheck checking
# their `run:` scripts. actionlint is built from its Go module once per version into a cache
# outside the repository (${XDG_CACHE_HOME:-~/.cache}/knative-rollout/actionlint-<version>);
# later runs reuse it. Ends with one line "N passed, N failed": one per workflow file.
# Needs Go (to build) and, for the run: scripts, Debian's shellcheck (installed here if missing and
# we may use apt-get). Reads nothing from stdin; CI=true makes a missing shellcheck a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
ACTIONLINT_MODULE=github.com/rhysd/actionlint
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/knative-rollout/actionlint-$ACTIONLINT_VERSION
ACTIONLINT=$CACHE_DIR/actionlint

fail_setup() { echo "actionlint.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

build_actionlint() {
    command -v go >/dev/null || fail_setup "go is needed to build actionlint $ACTIONLINT_VERSION"
    mkdir -p "$(dirname "$CACHE_DIR")"
    # One build at a time (concurrent runs share the cache); the binary appears atomically.
    exec 9>"$CACHE_DIR.lock"
    flock 9
    if [ ! -x "$ACTIONLINT" ]; then
        echo "building actionlint $ACTIONLINT_VERSION into $CACHE_DIR"
        local tmp
        tmp=$(mktemp -d "$CACHE_DIR.build.XXXXXX") || fail_setup "cannot create a build directory"
        if ! GOBIN=$tmp CGO_ENABLED=0 GOFLAGS=-trimpath go install \
            -ldflags "-s -w -X $ACTIONLINT_MODULE.version=$ACTIONLINT_VERSION" \
            "$ACTIONLINT_MODULE/cmd/actionlint@$ACTIONLINT_VERSION" </dev/null; then
            rm -rf "$tmp"
            fail_setup "building $ACTIONLINT_MODULE/cmd/actionlint@$ACTIONLINT_VERSION failed"
        fi
        mkdir -p "$CACHE_DIR"
        mv "$tmp/actionlint" "$ACTIONLINT.new" && mv "$ACTIONLINT.new" "$ACTIONLINT"
        rm -rf "$tmp"
    fi
    flock -u 9
}

ensure_shellcheck() {
    command -v shellcheck >/dev/null && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else return 1; fi
    fi
    command -v apt-get >/dev/null || return 1
    echo "installing shellcheck (Debian package) for the workflows' run: scripts"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -q --no-install-recommends shellcheck </dev/null >/dev/null 2>&1 ||
        { "${sudo[@]}" apt-get update -q </dev/null >/dev/null 2>&1 &&
          "${sudo[@]}" apt-get install -y -q --no-install-recommends shellcheck </dev/null >/dev/null 2>&1; }
    command -v shellcheck >/dev/null
}

[ -x "$ACTIONLINT" ] || build_actionlint
"$ACTIONLINT" -version </dev/null | head -1

passed=0 failed=0
shellcheck_flag=(-shellcheck=)
if ensure_shellcheck; then
    shellcheck_flag=(-shellcheck="$(command -v shellcheck)")
    echo "run: scripts checked with $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
else
    echo "shellcheck is not installed and could not be: run: scripts are not checked"
    if [ "${CI:-}" = true ]; then failed=$((failed + 1)); fi
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
[ ${#workflows[@]} -gt 0 ] || { echo "no workflow files under .github/workflows"; echo "0 passed, 1 failed"; exit 1; }
for workflow in "${workflows[@]}"; do
    if "$ACTIONLINT" -no-color "${shellcheck_flag[@]}" -pyflakes= "$workflow" </dev/null; then
        echo "ok   $workflow"
        passed=$((passed + 1))
    else
        echo "FAIL $workflow"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
