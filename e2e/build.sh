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
#                                        buildkit kube knative kube-node
#                                        knative-dataplane traefik coredns
#                                        containerd images   (default: all)
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
# unversioned server ("v0.0.0-master"). The node's binaries (kube-node) are
# built from the same wrapper module, so they share its build cache.
KUBE_TOOLS=(go.etcd.io/etcd/server/v3/etcdmain k8s.io/kubernetes/cmd/kube-apiserver/app
  k8s.io/kubernetes/cmd/kube-controller-manager/app k8s.io/kubernetes/cmd/kubelet/app
  k8s.io/kubernetes/cmd/kube-proxy/app k8s.io/kubernetes/cmd/kube-scheduler/app)

# kube_wrapper: create (or bring up to date) the wrapper module and cd into it.
kube_wrapper() {
  local v=$K8S_VERSION d=$WORK/kube-$K8S_VERSION-etcd-$ETCD_VERSION
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
  fi
  local tools; tools=$(printf '//go:build tools\n\npackage tools\n\nimport (\n'; printf '\t_ "%s"\n' "${KUBE_TOOLS[@]}"; printf ')\n')
  # A wrapper made before the node's tools were added is tidied again once.
  if [ "$(cat tools.go 2>/dev/null)" != "$tools" ]; then
    echo "$tools" > tools.go
    go mod tidy
  fi
  # MVS may not raise etcd above what we asked for silently: check the pin held.
  local got; got=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
  [ "$got" = "$ETCD_VERSION" ] || die "etcd resolved to $got, pinned $ETCD_VERSION"
}

kube_ldflags() {
  local v=$K8S_VERSION vp=k8s.io/component-base/version minor=${K8S_VERSION#1.}; minor=${minor%%.*}
  echo "-s -w -X $vp.gitVersion=v$v -X $vp.gitMajor=1 -X $vp.gitMinor=$minor -X $vp.gitCommit=0000000000000000000000000000000000000000 -X $vp.gitTreeState=clean -X $vp.buildDate=2026-01-01T00:00:00Z"
}

# kube_build CMD OUT: one binary of k8s.io/kubernetes/cmd, into the cache.
kube_build() {
  [ -x "$BIN/$2" ] && return 0
  go build -trimpath -o "$BIN/$2.tmp" -ldflags "$(kube_ldflags)" "k8s.io/kubernetes/cmd/$1"
  mv "$BIN/$2.tmp" "$BIN/$2"
}

build_kube() {
  local v=$K8S_VERSION
  local etcd=etcd-$ETCD_VERSION api=kube-apiserver-v$v kcm=kube-controller-manager-v$v
  if [ ! -x "$BIN/$etcd" ] || [ ! -x "$BIN/$api" ] || [ ! -x "$BIN/$kcm" ]; then
    kube_wrapper
    if [ ! -x "$BIN/$etcd" ]; then
      go build -trimpath -o "$BIN/$etcd.tmp" -ldflags "-s -w" go.etcd.io/etcd/server/v3
      mv "$BIN/$etcd.tmp" "$BIN/$etcd"
    fi
    kube_build kube-apiserver "$api"
    kube_build kube-controller-manager "$kcm"
  fi
  link etcd "$etcd"; link kube-apiserver "$api"; link kube-controller-manager "$kcm"
}

# ------------------------------------------------ kubelet, kube-proxy, kube-scheduler
# The node: kubelet runs the revisions' pods through containerd; kube-proxy
# (iptables, inside the harness's network namespace) gives the ClusterIPs
# Traefik routes to; the scheduler binds pods to the node.
build_kube_node() {
  local v=$K8S_VERSION kl=kubelet-v$K8S_VERSION kp=kube-proxy-v$K8S_VERSION ks=kube-scheduler-v$K8S_VERSION
  if [ ! -x "$BIN/$kl" ] || [ ! -x "$BIN/$kp" ] || [ ! -x "$BIN/$ks" ]; then
    kube_wrapper
    local c
    for c in kubelet kube-proxy kube-scheduler; do
      local t0=$SECONDS; kube_build "$c" "$c-v$v"; log "  $c: $((SECONDS - t0))s"
    done
  fi
  link kubelet "$kl"; link kube-proxy "$kp"; link kube-scheduler "$ks"
}

# ------------------------------------------------ Knative Serving webhook + controller
# - knative.dev/caching: the version serving's go.mod wants is not served;
#   replaced with an older one that is.
# - the checksum database answers 404 for the knative.dev/pkg pseudo-version:
#   go.sum is seeded from serving's own (verified) go.sum instead.
# - knative.dev/pkg's webhook, profiling and health servers listen on ":port"
#   (all interfaces): a local copy of pkg is patched to bind 127.0.0.1. The
#   data-plane servers (activator :8012/:8013, autoscaler :8080, queue-proxy)
#   are serving's own and still listen on every address of the harness's
#   network namespace, which is what the node needs.
# - the controller's health-probe server (:8080) is disabled: out of cluster.
# Manifests (CRDs, config maps, webhook configurations) are copied to
# $SHARE/knative-<ver> so up.sh needs no Go toolchain on a warm run.
KNATIVE_CMDS=(webhook controller activator autoscaler queue)

# knative_wrapper: create (or bring up to date) the wrapper module and cd into it.
knative_wrapper() {
  local v=$KNATIVE_SERVING_VERSION d=$WORK/knative-$KNATIVE_SERVING_VERSION
  mkdir -p "$d"; cd "$d"
  KN_SRC=$(moddir "knative.dev/serving@$v")
  if [ ! -f go.mod ]; then
    printf 'module knative-rollout-e2e/knative\n\ngo 1.25.0\n\nrequire knative.dev/serving %s\n' "$v" > go.mod
    cp "$KN_SRC/go.sum" go.sum; chmod u+w go.sum
    go mod edit -replace "knative.dev/caching=knative.dev/caching@$KNATIVE_CACHING_VERSION"
  fi
  local pkg; pkg=$(go env GOMODCACHE)/knative.dev/pkg@$KNATIVE_PKG_VERSION
  [ -d "$pkg" ] || GOFLAGS= go mod download knative.dev/pkg   # verified against the seeded go.sum
  [ -d "$pkg" ] || die "knative.dev/pkg@$KNATIVE_PKG_VERSION not downloaded"
  local c f
  for c in "${KNATIVE_CMDS[@]}"; do
    rm -rf "cmd/$c"; mkdir -p "cmd/$c"
    # Not the tests: `go mod tidy` would chase their dependencies.
    for f in "$KN_SRC/cmd/$c"/*.go; do [[ $f == *_test.go ]] || cp "$f" "cmd/$c/"; done
  done
  chmod -R u+w cmd
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
}

# knative_build CMD: one of serving's commands, into the cache as kn-CMD-<ver>.
knative_build() {
  local out=kn-$1-$KNATIVE_SERVING_VERSION
  [ -x "$BIN/$out" ] && return 0
  local t0=$SECONDS
  go build -trimpath -o "$BIN/$out.tmp" -ldflags "-s -w" "./cmd/$1" && mv "$BIN/$out.tmp" "$BIN/$out"
  log "  kn-$1: $((SECONDS - t0))s"
}

build_knative() {
  local v=$KNATIVE_SERVING_VERSION
  local wh=kn-webhook-$v ctl=kn-controller-$v share=$SHARE/knative-$v
  if [ ! -x "$BIN/$wh" ] || [ ! -x "$BIN/$ctl" ] || [ ! -f "$share/.complete" ]; then
    knative_wrapper
    knative_build webhook
    knative_build controller
    # manifests
    local n c; n=$(go list -m -f '{{.Dir}}' knative.dev/networking); c=$(go list -m -f '{{.Dir}}' knative.dev/caching)
    rm -rf "$share"; mkdir -p "$share/networking" "$share/caching"
    cp -r "$KN_SRC/config/core" "$share/core"
    cp "$n"/config/{certificate,ingress,serverlessservice,domain-claim,config-network}.yaml "$share/networking/"
    cp "$c/config/image.yaml" "$share/caching/"
    chmod -R u+w "$share"; touch "$share/.complete"
  fi
  link kn-webhook "$wh"; link kn-controller "$ctl"; ln -sfn "../share/knative-$v" "$CUR/knative-config"
}

# ------------------------------------------ Knative activator, autoscaler, queue-proxy
# The data plane, from the same wrapper (and so the same patched pkg) as the
# controller. queue-proxy runs in every revision pod: the images part wraps it
# in an image.
build_knative_dataplane() {
  local v=$KNATIVE_SERVING_VERSION c missing=0
  for c in activator autoscaler queue; do [ -x "$BIN/kn-$c-$v" ] || missing=1; done
  if [ "$missing" = 1 ]; then
    knative_wrapper
    for c in activator autoscaler queue; do knative_build "$c"; done
  fi
  for c in activator autoscaler queue; do link "kn-$c" "kn-$c-$v"; done
}

# ----------------------------------------------------------------- Traefik (ingress)
# Traefik v3's Knative provider implements KIngress. Three fixes make it build
# from the module proxy:
# 1. go.mod replaces github.com/traefik/traefik/dynamic/ext with the nested
#    module ./pkg/config/dynamic/ext, which a module zip never contains: it is
#    written here (the upstream file holds only empty extension points).
# 2. its go-http-auth fork answers 403: upstream's module instead, and
#    patches/traefik-digest-auth.patch for the one method the fork added.
# 3. lego v5's DNS providers (ACME, unused here) pull SDK modules that answer
#    403: a local copy of lego without those providers.
LEGO_REFUSED_PROVIDERS=(alidns aliesa azion dnsimple edgedns edgeone huaweicloud oraclecloud regfish sakuracloud
  tencentcloud ucloud yandexcloud)

build_traefik() {
  local v=$TRAEFIK_VERSION out=traefik-$TRAEFIK_VERSION d=$WORK/traefik-$TRAEFIK_VERSION
  if [ ! -x "$BIN/$out" ]; then
    if [ ! -f "$d/.prepared" ]; then
      copy_module "github.com/traefik/traefik/v3@$v" "$d"
      cd "$d"
      mkdir -p pkg/config/dynamic/ext
      printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' > pkg/config/dynamic/ext/go.mod
      cat > pkg/config/dynamic/ext/ext.go <<'EOF'
// Package ext: extension points of Traefik's dynamic configuration, empty in
// the open-source build (written by knative-rollout's e2e/build.sh, because
// the nested module is not part of Traefik's module zip).
package ext

// HTTP extends dynamic.HTTPConfiguration.
type HTTP struct{}

// Router extends dynamic.Router.
type Router struct{}

// RouterIng extends the router an ingress annotation describes.
type RouterIng struct{}

// ToRouter converts a RouterIng to a Router.
func (RouterIng) ToRouter() Router { return Router{} }
EOF
      go mod edit -replace "github.com/abbot/go-http-auth=github.com/abbot/go-http-auth@$TRAEFIK_HTTP_AUTH_VERSION"
      patch -p1 --forward < "$HERE/patches/traefik-digest-auth.patch"
      local lego; lego=$(awk '$1 == "github.com/go-acme/lego/v5" { print $2; exit }' go.mod)
      [ -n "$lego" ] || die "traefik's go.mod does not require lego/v5"
      copy_module "github.com/go-acme/lego/v5@$lego" third_party/lego
      strip_lego_providers third_party/lego/providers/dns/zz_gen_dns_providers.go
      go mod edit -replace github.com/go-acme/lego/v5=./third_party/lego
      touch .prepared
    fi
    cd "$d"
    go build -trimpath -o "$BIN/$out.tmp" -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$v" ./cmd/traefik
    mv "$BIN/$out.tmp" "$BIN/$out"
  fi
  link traefik "$out"
}

# strip_lego_providers FILE: drop each refused provider's import line and its
# `case "...":` + `return p.NewDNSProvider()` pair from lego's generated switch.
strip_lego_providers() {
  local f=$1 p re=""
  for p in "${LEGO_REFUSED_PROVIDERS[@]}"; do re+="${re:+|}$p"; done
  awk -v re="^($re)\$" '
    /^\t"github.com\/go-acme\/lego\/v5\/providers\/dns\// { n = $1; gsub(/"/, "", n); sub(/.*\//, "", n); if (n ~ re) next }
    /^\tcase "/ { held = $0; next }
    held != "" { line = $0; held2 = held; held = "";
                 if (match(line, /return [a-z0-9]+\.NewDNSProvider\(\)/)) { n = substr(line, RSTART + 7); sub(/\..*/, "", n); if (n ~ re) next }
                 print held2 }
    { print }' "$f" > "$f.tmp"
  mv "$f.tmp" "$f"
  for p in "${LEGO_REFUSED_PROVIDERS[@]}"; do
    ! grep -qE "providers/dns/$p\"|[[:space:]]$p\.NewDNSProvider" "$f" || die "lego provider $p still referenced in $f"
  done
}

# ------------------------------------------------------------------ CoreDNS
# Scale to zero needs cluster DNS: the autoscaler probes
# <rev>.<ns>.svc.cluster.local and the activator dials autoscaler.knative-serving.svc.
# A trimmed main with only the plugins the Corefile uses (the full plugin set
# drags in every cloud SDK).
COREDNS_PLUGINS=(bind ready health errors cache kubernetes)

build_coredns() {
  local v=$COREDNS_VERSION out=coredns-$COREDNS_VERSION-trim d=$WORK/coredns-$COREDNS_VERSION
  if [ ! -x "$BIN/$out" ]; then
    mkdir -p "$d"; cd "$d"
    printf 'module knative-rollout-e2e/coredns\n\ngo 1.25.0\n\nrequire github.com/coredns/coredns %s\n' "$v" > go.mod
    {
      printf '// Command coredns: CoreDNS %s with only the plugins the e2e node needs\n' "$v"
      printf '// (generated by e2e/build.sh).\npackage main\n\nimport (\n'
      printf '\t"github.com/coredns/coredns/core/dnsserver"\n\t"github.com/coredns/coredns/coremain"\n'
      printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "${COREDNS_PLUGINS[@]}"
      printf ')\n\n// Directives in the order CoreDNS itself runs them.\nfunc init() {\n\tdnsserver.Directives = []string{'
      printf '"%s", ' "${COREDNS_PLUGINS[@]}"
      printf '}\n}\n\nfunc main() { coremain.Run() }\n'
    } > main.go
    gofmt -w main.go
    # coredns's own go.sum; no `go mod tidy` (it would resolve every platform's
    # and every test's dependencies, some of which the proxy refuses).
    cp "$(moddir "github.com/coredns/coredns@$v")/go.sum" go.sum; chmod u+w go.sum
    go build -trimpath -o "$BIN/$out.tmp" -ldflags "-s -w" .
    mv "$BIN/$out.tmp" "$BIN/$out"
  fi
  link coredns "$out"
}

# ------------------------------------------------------------------ containerd v2
# containerd, its runc shim and ctr (to import the locally made images), from
# a writable copy of the module (its own go.mod and go.sum). Debian's runc and
# CNI plugins do the rest.
build_containerd() {
  local v=$CONTAINERD_VERSION d=$WORK/containerd-$CONTAINERD_VERSION c missing=0
  for c in containerd containerd-shim-runc-v2 ctr; do [ -x "$BIN/$c-$v" ] || missing=1; done
  if [ "$missing" = 1 ]; then
    [ -f "$d/go.mod" ] || copy_module "github.com/containerd/containerd/v2@$v" "$d"
    cd "$d"
    for c in containerd containerd-shim-runc-v2 ctr; do
      [ -x "$BIN/$c-$v" ] && continue
      local t0=$SECONDS
      go build -trimpath -tags no_btrfs -o "$BIN/$c-$v.tmp" \
        -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$v" "./cmd/$c"
      mv "$BIN/$c-$v.tmp" "$BIN/$c-$v"
      log "  $c: $((SECONDS - t0))s"
    done
  fi
  for c in containerd containerd-shim-runc-v2 ctr; do link "$c" "$c-$v"; done
}

# ------------------------------------------------------------------ node images
# Nothing can be pulled from an image registry here, so the images the node
# itself needs are made from static binaries (e2e/dataplane/ociimage writes a
# one-layer OCI archive; up.sh imports it into containerd's k8s.io namespace):
#   pause        the pod sandbox (e2e/dataplane/pause)
#   queue-proxy  Knative's sidecar (kn-queue), config-deployment's queue-sidecar-image
#   hello        the data-plane smoke's user container (e2e/dataplane/hello)
# All under dev.local/, which Knative never resolves to a digest, with a
# content tag (never :latest, so the pull policy is IfNotPresent), running as
# a non-root UID (Knative sets runAsNonRoot on queue-proxy).
build_images() {
  local h qv=${KNATIVE_SERVING_VERSION##*-}
  h=$(cd "$HERE/dataplane" && cat go.mod ./*/*.go | sha256sum | cut -c1-12)
  local key=$h-$qv dir=$SHARE/images-$h-$qv
  [ -x "$BIN/kn-queue-$KNATIVE_SERVING_VERSION" ] || die "kn-queue is not built (part knative-dataplane)"
  if [ ! -f "$dir/images.env" ]; then
    rm -rf "$dir"; mkdir -p "$dir/bin"
    ( cd "$HERE/dataplane" && go build -trimpath -ldflags "-s -w" -o "$dir/bin/" ./... )
    local img="$dir/bin/ociimage" repo=dev.local/knative-rollout-e2e
    "$img" -name "$repo/pause:$h" -out "$dir/pause.tar" -user 65535 -entrypoint /pause "$dir/bin/pause=/pause" >/dev/null
    "$img" -name "$repo/queue-proxy:$qv" -out "$dir/queue-proxy.tar" -user 65532 -entrypoint /queue \
      "$BIN/kn-queue-$KNATIVE_SERVING_VERSION=/queue" >/dev/null
    "$img" -name "$repo/hello:$h" -out "$dir/hello.tar" -user 65532 -entrypoint /hello "$dir/bin/hello=/hello" >/dev/null
    printf 'PAUSE_IMAGE=%s\nQUEUE_PROXY_IMAGE=%s\nHELLO_IMAGE=%s\n' \
      "$repo/pause:$h" "$repo/queue-proxy:$qv" "$repo/hello:$h" > "$dir/images.env.tmp"
    mv "$dir/images.env.tmp" "$dir/images.env"
  fi
  ln -sfn "../share/images-$key" "$CUR/images"
}

run_part() {
  local p=$1 t0=$SECONDS
  log "$p ..."
  # Not `( ... ) || die`: errexit is ignored inside a tested subshell, and a
  # failed go build would then be followed by the next command as if it worked.
  local rc
  set +e; ( set -e; "build_${p//-/_}" ); rc=$?; set -e
  [ "$rc" = 0 ] || die "building $p failed"
  log "$p done in $((SECONDS - t0))s"
  PART_TIMES+=("$p=$((SECONDS - t0))s")
}

main() {
  local parts=("$@")
  [ ${#parts[@]} -gt 0 ] || parts=(pulumi langhost kubernetes docker-build buildkit kube knative
    kube-node knative-dataplane traefik coredns containerd images)
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
