# e2e/lib/versions.sh — every pinned version the e2e harness builds, in one
# place (sourced by build.sh and up.sh). Changing a value here makes build.sh
# build and cache that version next to the old one.
#
# Only versions the Go module proxy actually serves are usable; the comments
# say where a pin is forced.

# Pulumi CLI (github.com/pulumi/pulumi/pkg/v3) and the language host's sdk/v3.
PULUMI_VERSION=v3.274.1
# pkg/v3's own non-local replace, mirrored in the wrapper module.
CLIPBOARD_REPLACE=v0.0.0-20241001131231-d02d263e614e

# kubernetes provider: tagged provider/v4 releases are refused; this
# pseudo-version is served and its code is ~ v4.25.0. The label must equal
# the npm @pulumi/kubernetes pin in package.json (4.25.0).
K8S_PROVIDER_PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
K8S_PROVIDER_LABEL=4.25.0

# docker-build provider: must equal npm @pulumi/docker-build (0.0.22).
DOCKER_BUILD_VERSION=0.0.22
# BuildKit daemon and buildx (the versions docker-build 0.0.22 links).
BUILDKIT_VERSION=v0.31.0
BUILDX_VERSION=v0.35.0

# Control plane.
ETCD_VERSION=v3.6.8
K8S_VERSION=1.36.3

# Knative Serving. The newest releases' dependencies are refused; this
# pseudo-version builds with caching replaced and go.sum seeded (see
# build.sh). tests/knative-validate uses the same constants so the module
# cache is shared: keep them in step.
KNATIVE_SERVING_VERSION=v0.47.1-0.20251204213410-5fbd94e8a6d7
KNATIVE_CACHING_VERSION=v0.0.0-20240716132144-989f54c83776
KNATIVE_PKG_VERSION=v0.0.0-20251126013532-e853b1d1d6bb

E2E_CACHE=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knative-rollout-e2e}

# ---- data plane (kubelet, kube-proxy and kube-scheduler use K8S_VERSION;
# activator, autoscaler and queue-proxy use KNATIVE_SERVING_VERSION) ----
# Ingress: Traefik's Knative provider (KIngress). Kourier, Contour, Istio and
# net-gateway-api need Envoy or are refused by the proxy. Three fixes are
# needed to build it (see build.sh).
TRAEFIK_VERSION=v3.7.13
# Traefik pins a fork of go-http-auth that the proxy refuses; upstream's last
# commit is served and differs by one method (patches/traefik-digest-auth.patch).
TRAEFIK_HTTP_AUTH_VERSION=v0.4.1-0.20220112235402-e1cee1c72f2f
# CoreDNS (trimmed to the plugins the node needs): scale to zero needs DNS.
COREDNS_VERSION=v1.14.7
# containerd v2 built from its module: Kubernetes 1.36 no longer supports
# containerd 1.x (Debian bookworm ships 1.6), and 2.x reads hosts.toml.
CONTAINERD_VERSION=v2.1.5
