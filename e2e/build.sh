#!/usr/bin/env bash
# e2e/build.sh — builds, pinned, from the Go module proxy, every binary the
# end-to-end harness runs, and caches them by version so a warm run takes
# seconds:
#
#   $E2E_CACHE/bin/<name>-<version>   the cached binaries (never overwritten)
#   $E2E_CACHE/current/<name>         stable symlinks to the pinned versions
#   $E2E_CACHE/share/knative-<ver>/   Knative's manifests, copied out of the module
#   $E2E_CACHE/work/<part>-<ver>/     throwaway wrapper modules
#
# E2E_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/knative-rollout-e2e.
# Usage: e2e/build.sh [part...]   parts: pulumi langhost kubernetes docker-build
#                                        buildkit kube knative   (default: all)
# Each part prints the time it took ("0s (cached)" when it was already built).
# Builds run one at a time (a lock in the cache dir), because cold Go builds
# saturate a 2-core machine and two at once only make both slower.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/versions.sh"

export CGO_ENABLED=0
# -mod=mod: the wrapper modules are generated, their go.sum is written as we go.
export GOFLAGS="-mod=mod -buildvcs=false"
BIN=$E2E_CACHE/bin CUR=$E2E_CACHE/current WORK=$E2E_CACHE/work SHARE=$E2E_CACHE/share
mkdir -p "$BIN" "$CUR" "$WORK" "$SHARE"

log() { echo "[build $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# moddir MODULE@VERSION: download through the proxy, print its (read-only) dir.
moddir() {
  local d
  d=$(cd "$WORK" && GOFLAGS= go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$d" ] || die "go mod download $1 failed"
  echo "$d"
}

# copy_module MODULE@VERSION DEST: writable copy of a module (to patch/generate in).
copy_module() {
  local src; src=$(moddir "$1")
  rm -rf "$2"; mkdir -p "$(dirname "$2")"; cp -r "$src" "$2"; chmod -R u+w "$2"
}

# link NAME FILE: point the stable name at the cached versioned binary.
link() { ln -sfn "../bin/$2" "$CUR/$1"; }

# ------------------------------------------------------------------ pulumi CLI
# pkg/v3 has replace directives, so `go install pkg/v3/cmd/pulumi@v` refuses:
# build it from a wrapper module that imports it (tools.go) and mirrors pkg/v3's
# one non-local replace (clipboard). The version ldflag is required, or the
# Automation API fails to parse the CLI's version.
build_pulumi() {
  local out=pulumi-$PULUMI_VERSION d=$WORK/pulumi-$PULUMI_VERSION
  if [ ! -x "$BIN/$out" ]; then
    mkdir -p "$d"; cd "$d"
    [ -f go.mod ] || printf 'module knative-rollout-e2e/pulumiwrap\n\ngo 1.26.0\n' > go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > tools.go
    go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
    go mod edit -replace "github.com/atotto/clipboard=github.com/tgummerer/clipboard@$CLIPBOARD_REPLACE"
    go mod tidy
    go build -trimpath -o "$BIN/$out.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    mv "$BIN/$out.tmp" "$BIN/$out"
  fi
  link pulumi "$out"
}

# ------------------------------------------------------------ Node.js language host
# Source is in e2e/langhost (see its header). The cache key includes a hash of
# its sources, so editing main.go rebuilds it.
build_langhost() {
  local h out
  h=$(cat "$HERE/langhost/main.go" "$HERE/langhost/go.mod" "$HERE/langhost/go.sum" | sha256sum | cut -c1-12)
  out=pulumi-language-nodejs-$PULUMI_VERSION-$h
  if [ ! -x "$BIN/$out" ]; then
    cd "$HERE/langhost"
    # readonly: the committed go.mod/go.sum are the pins; fail rather than drift.
    GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$BIN/$out.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" .
    mv "$BIN/$out.tmp" "$BIN/$out"
  fi
  link pulumi-language-nodejs "$out"
}

# ------------------------------------------------------------ kubernetes provider
# Tagged provider/v4 releases are refused by the proxy; this pseudo-version
# (commit f47bc2d6f199, the day before v4.25.0) is served. provider/go.mod has
# "replace sdk/v4 => ../sdk": sdk/v4@v4.25.0 is put beside it. `go generate`
# writes schema-embed.json (gitignored upstream, so missing from the module
# zip) with VERSION as the schema version. Labelled 4.25.0 to match the npm
# @pulumi/kubernetes pin, so the engine loads exactly this plugin.
build_kubernetes() {
  local out=pulumi-resource-kubernetes-$K8S_PROVIDER_LABEL-${K8S_PROVIDER_PSEUDO##*-}
  local d=$WORK/kubernetes-$K8S_PROVIDER_LABEL
  if [ ! -x "$BIN/$out" ]; then
    copy_module "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_PSEUDO" "$d/provider"
    copy_module "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$K8S_PROVIDER_LABEL" "$d/sdk"
    cd "$d/provider/cmd/pulumi-resource-kubernetes"
    VERSION=$K8S_PROVIDER_LABEL GOFLAGS=-buildvcs=false go generate ./main.go
    cd "$d/provider"
    GOFLAGS=-buildvcs=false go build -trimpath -o "$BIN/$out.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_LABEL" \
      ./cmd/pulumi-resource-kubernetes
    mv "$BIN/$out.tmp" "$BIN/$out"
  fi
  link pulumi-resource-kubernetes "$out"
}

# ---------------------------------------------------------- docker-build provider
# Two imports used only for C#/Java schema metadata (pulumi-java,
# pulumi-dotnet) are refused by the proxy; e2e/patches/docker-build-*.patch
# replaces them with map literals that marshal to the same schema JSON.
build_docker_build() {
  local out=pulumi-resource-docker-build-$DOCKER_BUILD_VERSION d=$WORK/docker-build-$DOCKER_BUILD_VERSION
  if [ ! -x "$BIN/$out" ]; then
    copy_module "github.com/pulumi/pulumi-docker-build@v$DOCKER_BUILD_VERSION" "$d"
    cd "$d"
    patch -p1 --forward < "$HERE/patches/docker-build-no-java-dotnet.patch"
    cd provider
    # The module's own go.mod/go.sum as shipped (no tidy: tidy would chase the
    # refused modules' test dependencies).
    GOFLAGS=-buildvcs=false go build -trimpath -o "$BIN/$out.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi-docker-build/provider.Version=$DOCKER_BUILD_VERSION" \
      ./cmd/pulumi-resource-docker-build
    mv "$BIN/$out.tmp" "$BIN/$out"
  fi
  link pulumi-resource-docker-build "$out"
}

# ----------------------------------------------------------- buildkitd + buildx
# The docker-build provider needs a BuildKit daemon; buildx is only used to
# register a "remote" builder pointing at it.
build_buildkit() {
  local bk=buildkitd-$BUILDKIT_VERSION bx=docker-buildx-$BUILDX_VERSION d=$WORK/buildkit-$BUILDKIT_VERSION-$BUILDX_VERSION
  if [ ! -x "$BIN/$bk" ] || [ ! -x "$BIN/$bx" ]; then
    mkdir -p "$d"; cd "$d"
    printf 'module knative-rollout-e2e/buildkit\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/docker/buildx %s\n\tgithub.com/moby/buildkit %s\n)\n' \
      "$BUILDX_VERSION" "$BUILDKIT_VERSION" > go.mod
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "github.com/docker/buildx/cmd/buildx"\n\t_ "github.com/moby/buildkit/cmd/buildkitd"\n)\n' > tools.go
    go mod tidy
    go build -trimpath -o "$BIN/$bk.tmp" -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION" \
      github.com/moby/buildkit/cmd/buildkitd
    mv "$BIN/$bk.tmp" "$BIN/$bk"
    go build -trimpath -o "$BIN/$bx.tmp" -ldflags "-s -w -X github.com/docker/buildx/version.Version=$BUILDX_VERSION" \
      github.com/docker/buildx/cmd/buildx
    mv "$BIN/$bx.tmp" "$BIN/$bx"
  fi
  link buildkitd "$bk"; link docker-buildx "$bx"
}

# ------------------------------------- etcd, kube-apiserver, kube-controller-manager
# k8s.io/kubernetes replaces its staging modules with ./staging paths, which a
# dependency cannot use: the wrapper replaces each with its v0.<minor>.<patch>
# release. Version ldflags are required: Knative refuses to start against an
# unversioned server ("v0.0.0-master").
build_kube() {
  local v=$K8S_VERSION d=$WORK/kube-$K8S_VERSION-etcd-$ETCD_VERSION
  local etcd=etcd-$ETCD_VERSION api=kube-apiserver-v$v kcm=kube-controller-manager-v$v
  if [ ! -x "$BIN/$etcd" ] || [ ! -x "$BIN/$api" ] || [ ! -x "$BIN/$kcm" ]; then
    mkdir -p "$d"; cd "$d"
    if [ ! -f go.mod ]; then
      GOFLAGS= go mod download "k8s.io/kubernetes@v$v"
      local kmod; kmod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$v.mod
      {
        printf 'module knative-rollout-e2e/kube\n\ngo 1.26.0\n\nrequire (\n\tk8s.io/kubernetes v%s\n\tgo.etcd.io/etcd/server/v3 %s\n)\n\nreplace (\n' "$v" "$ETCD_VERSION"
        # sample-cli-plugin is not on the proxy and not needed.
        grep -E '=> ./staging' "$kmod" | awk '{print $1}' | grep -vx k8s.io/sample-cli-plugin |
          while read -r m; do printf '\t%s => %s v0.%s\n' "$m" "$m" "${v#1.}"; done
        printf ')\n'
      } > go.mod
      printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.etcd.io/etcd/server/v3/etcdmain"\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"\n)\n' > tools.go
      go mod tidy
    fi
    # MVS may not raise etcd above what we asked for silently: check the pin held.
    local got; got=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
    [ "$got" = "$ETCD_VERSION" ] || die "etcd resolved to $got, pinned $ETCD_VERSION"
    if [ ! -x "$BIN/$etcd" ]; then
      go build -trimpath -o "$BIN/$etcd.tmp" -ldflags "-s -w" go.etcd.io/etcd/server/v3
      mv "$BIN/$etcd.tmp" "$BIN/$etcd"
    fi
    local vp=k8s.io/component-base/version minor=${v#1.}; minor=${minor%%.*}
    local ldf="-s -w -X $vp.gitVersion=v$v -X $vp.gitMajor=1 -X $vp.gitMinor=$minor -X $vp.gitCommit=0000000000000000000000000000000000000000 -X $vp.gitTreeState=clean -X $vp.buildDate=2026-01-01T00:00:00Z"
    if [ ! -x "$BIN/$api" ]; then
      go build -trimpath -o "$BIN/$api.tmp" -ldflags "$ldf" k8s.io/kubernetes/cmd/kube-apiserver
      mv "$BIN/$api.tmp" "$BIN/$api"
    fi
    if [ ! -x "$BIN/$kcm" ]; then
      go build -trimpath -o "$BIN/$kcm.tmp" -ldflags "$ldf" k8s.io/kubernetes/cmd/kube-controller-manager
      mv "$BIN/$kcm.tmp" "$BIN/$kcm"
    fi
  fi
  link etcd "$etcd"; link kube-apiserver "$api"; link kube-controller-manager "$kcm"
}

# ------------------------------------------------ Knative Serving webhook + controller
# - knative.dev/caching: the version serving's go.mod wants is not served;
#   replaced with an older one that is.
# - the checksum database answers 404 for the knative.dev/pkg pseudo-version:
#   go.sum is seeded from serving's own (verified) go.sum instead.
# - knative.dev/pkg's HTTP servers listen on ":port" (all interfaces): a local
#   copy of pkg is patched to bind 127.0.0.1 (see up.sh for why not a netns).
# - the controller's health-probe server (:8080) is disabled: out of cluster.
# Manifests (CRDs, config maps, webhook configurations) are copied to
# $SHARE/knative-<ver> so up.sh needs no Go toolchain on a warm run.
build_knative() {
  local v=$KNATIVE_SERVING_VERSION d=$WORK/knative-$KNATIVE_SERVING_VERSION
  local wh=kn-webhook-$v ctl=kn-controller-$v share=$SHARE/knative-$v
  if [ ! -x "$BIN/$wh" ] || [ ! -x "$BIN/$ctl" ] || [ ! -f "$share/.complete" ]; then
    mkdir -p "$d"; cd "$d"
    local s; s=$(moddir "knative.dev/serving@$v")
    if [ ! -f go.mod ]; then
      printf 'module knative-rollout-e2e/knative\n\ngo 1.25.0\n\nrequire knative.dev/serving %s\n' "$v" > go.mod
      cp "$s/go.sum" go.sum; chmod u+w go.sum
      go mod edit -replace "knative.dev/caching=knative.dev/caching@$KNATIVE_CACHING_VERSION"
    fi
    local pkg; pkg=$(go env GOMODCACHE)/knative.dev/pkg@$KNATIVE_PKG_VERSION
    [ -d "$pkg" ] || GOFLAGS= go mod download knative.dev/pkg   # verified against the seeded go.sum
    [ -d "$pkg" ] || die "knative.dev/pkg@$KNATIVE_PKG_VERSION not downloaded"
    mkdir -p cmd/webhook cmd/controller
    cp "$s/cmd/webhook/main.go" cmd/webhook/main.go
    cp "$s/cmd/controller/main.go" cmd/controller/main.go
    chmod u+w cmd/*/main.go
    sed -i 's|\tctx := signals.NewContext()|\tctx := sharedmain.WithHealthProbesDisabled(signals.NewContext()) // e2e: no :8080 health server out of cluster|' \
      cmd/controller/main.go
    grep -q WithHealthProbesDisabled cmd/controller/main.go || die "controller main.go patch did not apply"
    if [ ! -f third_party/knative-pkg/.patched ]; then
      rm -rf third_party/knative-pkg; mkdir -p third_party
      cp -r "$pkg" third_party/knative-pkg; chmod -R u+w third_party/knative-pkg
      ( cd third_party/knative-pkg
        sed -i 's|fmt.Sprint(":", wh.Options.Port)|fmt.Sprint("127.0.0.1:", wh.Options.Port)|' webhook/webhook.go
        sed -i 's|Addr:    ":" + port,|Addr:    "127.0.0.1:" + port,|' observability/runtime/pprof.go
        sed -i 's|Addr: ":" + strconv.Itoa(port)|Addr: "127.0.0.1:" + strconv.Itoa(port)|' injection/health_check.go
        sed -i 's|Addr:              ":" + port,|Addr:              "127.0.0.1:" + port,|' profiling/server.go
        grep -q '"127.0.0.1:", wh.Options.Port' webhook/webhook.go &&
          grep -q '"127.0.0.1:" + port' observability/runtime/pprof.go &&
          grep -q '"127.0.0.1:" + strconv' injection/health_check.go &&
          grep -q '"127.0.0.1:" + port' profiling/server.go ) || die "knative.dev/pkg listen-address patch did not apply"
      touch third_party/knative-pkg/.patched
    fi
    go mod edit -replace knative.dev/pkg=./third_party/knative-pkg
    go mod tidy
    go build -trimpath -o "$BIN/$wh.tmp" -ldflags "-s -w" ./cmd/webhook && mv "$BIN/$wh.tmp" "$BIN/$wh"
    go build -trimpath -o "$BIN/$ctl.tmp" -ldflags "-s -w" ./cmd/controller && mv "$BIN/$ctl.tmp" "$BIN/$ctl"
    # manifests
    local n c; n=$(go list -m -f '{{.Dir}}' knative.dev/networking); c=$(go list -m -f '{{.Dir}}' knative.dev/caching)
    rm -rf "$share"; mkdir -p "$share/networking" "$share/caching"
    cp -r "$s/config/core" "$share/core"
    cp "$n"/config/{certificate,ingress,serverlessservice,domain-claim,config-network}.yaml "$share/networking/"
    cp "$c/config/image.yaml" "$share/caching/"
    chmod -R u+w "$share"; touch "$share/.complete"
  fi
  link kn-webhook "$wh"; link kn-controller "$ctl"; ln -sfn "../share/knative-$v" "$CUR/knative-config"
}

run_part() {
  local p=$1 t0=$SECONDS
  log "$p ..."
  ( "build_${p//-/_}" ) || die "building $p failed"
  log "$p done in $((SECONDS - t0))s"
  PART_TIMES+=("$p=$((SECONDS - t0))s")
}

main() {
  local parts=("$@")
  [ ${#parts[@]} -gt 0 ] || parts=(pulumi langhost kubernetes docker-build buildkit kube knative)
  command -v go >/dev/null || die "go is required (1.26+)"
  exec 9>"$E2E_CACHE/build.lock"
  flock -w 3600 9 || die "another e2e/build.sh held $E2E_CACHE/build.lock for an hour"
  PART_TIMES=()
  local t0=$SECONDS
  for p in "${parts[@]}"; do
    declare -F "build_${p//-/_}" >/dev/null || die "unknown part '$p'"
    run_part "$p"
  done
  log "all done in $((SECONDS - t0))s: ${PART_TIMES[*]}"
}

main "$@"
