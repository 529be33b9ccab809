#!/usr/bin/env bash
# Builds the pinned Kubernetes tool set the chart tests run against (helm, kubectl, etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok, kwokctl) from the Go module proxy into a cache outside the
# repository. Idempotent: a tool whose versioned folder is complete is not rebuilt. Prints the bin folder.
#
#   tools/k8s/build-tools.sh            # build what is missing, link it into $VIGIL_K8S_CACHE/bin
#   tools/k8s/build-tools.sh --cluster  # also what a real cluster needs: kind, kubelet, kubeadm, kube-proxy,
#                                       # CoreDNS, kube-router (NetworkPolicy), metrics-server
#   tools/k8s/build-tools.sh --print    # only print the bin folder (exit 1 when a tool is missing)
#
# Nothing is downloaded but Go modules: no release tarballs, no container images.
set -euo pipefail

KUBERNETES_VERSION=v1.35.4 # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
ETCD_VERSION=v3.6.16
HELM_VERSION=v3.20.2
KWOK_VERSION=v0.8.0
# the cluster set (--cluster)
KIND_VERSION=v0.33.0
COREDNS_VERSION=v1.14.3
KUBE_ROUTER_VERSION=v2.1.0
METRICS_SERVER_VERSION=v0.8.0

CACHE=${VIGIL_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/k8s}
BIN=$CACHE/bin

# Every build goes through the proxy into caches that survive between runs, so a warm run only relinks. The
# module and build caches are the ones every Go build of the repository uses (.ci/run), so what the builds
# share (the standard library, common modules) is compiled once; a larger GC target makes the compiler faster.
GO_CACHE=${VIGIL_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/go}
export GOMODCACHE=$GO_CACHE/mod GOCACHE=$GO_CACHE/build GOGC=${GOGC:-400}
export CGO_ENABLED=0 GOFLAGS="-trimpath -mod=mod -buildvcs=false"
# The modules' go lines are met by the local toolchain; never fetch another one behind the caller's back.
export GOTOOLCHAIN=local
GO=$(command -v go || echo /usr/local/go/bin/go)

log() { printf '[k8s-tools] %s\n' "$*" >&2; }

BASE_TOOLS=(helm kubectl etcd kube-apiserver kube-controller-manager kube-scheduler kwok kwokctl)
CLUSTER_TOOLS=(kind kubelet kubeadm kube-proxy coredns kube-router metrics-server)

tools_present() {
  local tool
  for tool in "$@"; do
    [[ -x $BIN/$tool ]] || return 1
  done
}

CLUSTER=0
[[ ${1:-} == --cluster || ${2:-} == --cluster ]] && CLUSTER=1

if [[ ${1:-} == --print ]]; then
  tools_present "${BASE_TOOLS[@]}" || {
    log "tools missing under $BIN; run tools/k8s/build-tools.sh"
    exit 1
  }
  if ((CLUSTER)); then
    tools_present "${CLUSTER_TOOLS[@]}" || {
      log "cluster tools missing under $BIN; run tools/k8s/build-tools.sh --cluster"
      exit 1
    }
  fi
  echo "$BIN"
  exit 0
fi

[[ -x $GO ]] || {
  log "no Go toolchain (looked for go on PATH and /usr/local/go/bin/go)"
  exit 1
}
mkdir -p "$CACHE/src" "$BIN" "$GOMODCACHE" "$GOCACHE"

# Go "-X" flags for the version variables a release build stamps, so binaries report their real version.
kubernetes_ldflags() {
  local version=$1 build_date=$2 minor major pkg flags=(-s -w)
  major=${version#v}
  major=${major%%.*}
  minor=${version#v*.}
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=("-X $pkg.gitVersion=$version" "-X $pkg.gitMajor=$major" "-X $pkg.gitMinor=$minor"
      "-X $pkg.gitTreeState=clean" "-X $pkg.buildDate=$build_date")
  done
  echo "${flags[*]}"
}

# module_time <module> <version>: the publication time the proxy records, a reproducible build date.
module_time() {
  "$GO" mod download -json "$1@$2" | sed -n 's/.*"Time": "\([^"]*\)".*/\1/p' | head -n 1
}

# build_in_wrapper <name> <out dir> <ldflags> <go.mod body> <package>...
# Builds packages inside a generated module that requires the published module, because `go install m@v`
# refuses modules whose go.mod carries replace directives (kubernetes, etcd). Writes into a temporary folder
# and renames it, so an interrupted build never leaves a folder that looks complete.
build_in_wrapper() {
  local name=$1 out=$2 ldflags=$3 gomod=$4
  shift 4
  if [[ -f $out/.complete ]]; then
    log "cached: $name ($out)"
    return
  fi
  local src=$CACHE/src/$name started=$SECONDS
  rm -rf "$src" "$out.partial"
  mkdir -p "$src" "$out.partial"
  printf '%s\n' "$gomod" >"$src/go.mod"
  log "building $name: $*"
  (cd "$src" && nice -n "${VIGIL_BUILD_NICE:-10}" "$GO" build -ldflags "$ldflags" -o "$out.partial/" "$@")
  touch "$out.partial/.complete"
  rm -rf "$out"
  mv "$out.partial" "$out"
  log "built $name in $((SECONDS - started)) s"
}

# The go.mod of a wrapper module around k8s.io/kubernetes: it points every staging module, which the published
# module replaces with ./staging/... paths it does not contain, at its own release (v0.X.Y for v1.X.Y).
kubernetes_wrapper_gomod() {
  local name=$1 dir staging_version go_line replaces
  dir=$("$GO" mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"Dir": "\([^"]*\)".*/\1/p')
  staging_version=v0.${KUBERNETES_VERSION#v1.}
  replaces=$(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\t\1 => \1 '"$staging_version"'#p' "$dir/go.mod")
  [[ -n $replaces ]] || {
    log "no staging replace block found in $dir/go.mod"
    return 1
  }
  go_line=$(grep -m 1 '^go ' "$dir/go.mod")
  printf '%s\n' "module vigil.local/k8s-tools/$name

$go_line

require k8s.io/kubernetes $KUBERNETES_VERSION

replace (
$replaces
)"
}

build_kubernetes() {
  local out=$CACHE/kubernetes-$KUBERNETES_VERSION gomod
  [[ -f $out/.complete ]] && {
    log "cached: kubernetes $KUBERNETES_VERSION ($out)"
    return
  }
  gomod=$(kubernetes_wrapper_gomod kubernetes)
  build_in_wrapper "kubernetes-$KUBERNETES_VERSION" "$out" \
    "$(kubernetes_ldflags "$KUBERNETES_VERSION" "$(module_time k8s.io/kubernetes "$KUBERNETES_VERSION")")" \
    "$gomod" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
}

# What a node runs, from the same module and build cache as the control plane above.
build_kubernetes_node() {
  local out=$CACHE/kubernetes-node-$KUBERNETES_VERSION gomod
  [[ -f $out/.complete ]] && {
    log "cached: kubernetes node binaries $KUBERNETES_VERSION ($out)"
    return
  }
  gomod=$(kubernetes_wrapper_gomod kubernetes-node)
  build_in_wrapper "kubernetes-node-$KUBERNETES_VERSION" "$out" \
    "$(kubernetes_ldflags "$KUBERNETES_VERSION" "$(module_time k8s.io/kubernetes "$KUBERNETES_VERSION")")" \
    "$gomod" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/kube-proxy
}

build_kind() {
  build_in_wrapper "kind-$KIND_VERSION" "$CACHE/kind-$KIND_VERSION" "-s -w" \
    "module vigil.local/k8s-tools/kind

go 1.26.0

require sigs.k8s.io/kind $KIND_VERSION" \
    sigs.k8s.io/kind
}

build_coredns() {
  build_in_wrapper "coredns-$COREDNS_VERSION" "$CACHE/coredns-$COREDNS_VERSION" \
    "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" \
    "module vigil.local/k8s-tools/coredns

go 1.26.0

require github.com/coredns/coredns $COREDNS_VERSION" \
    github.com/coredns/coredns
}

# kube-router runs as the NetworkPolicy enforcer only (iptables and ipset); routing and services stay with the
# bridge CNI and kube-proxy.
build_kube_router() {
  build_in_wrapper "kube-router-$KUBE_ROUTER_VERSION" "$CACHE/kube-router-$KUBE_ROUTER_VERSION" \
    "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    "module vigil.local/k8s-tools/kube-router

go 1.26.0

require github.com/cloudnativelabs/kube-router/v2 $KUBE_ROUTER_VERSION" \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
}

build_metrics_server() {
  build_in_wrapper "metrics-server-$METRICS_SERVER_VERSION" "$CACHE/metrics-server-$METRICS_SERVER_VERSION" \
    "-s -w" \
    "module vigil.local/k8s-tools/metrics-server

go 1.26.0

require sigs.k8s.io/metrics-server $METRICS_SERVER_VERSION" \
    sigs.k8s.io/metrics-server/cmd/metrics-server
}

build_etcd() {
  local out=$CACHE/etcd-$ETCD_VERSION
  build_in_wrapper "etcd-$ETCD_VERSION" "$out" "-s -w" \
    "module vigil.local/k8s-tools/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION" \
    go.etcd.io/etcd/server/v3
  # The package is the etcd binary, but go names it after its path without the major version suffix.
  [[ -x $out/server ]] && mv "$out/server" "$out/etcd"
  return 0
}

build_helm() {
  local out=$CACHE/helm-$HELM_VERSION client_go minor
  [[ -f $out/.complete ]] && {
    log "cached: helm $HELM_VERSION ($out)"
    return
  }
  # Helm's default Capabilities.KubeVersion (helm template without a cluster) comes from the client-go it is
  # built with, stamped in like its Makefile does; unstamped it would claim Kubernetes 1.20.
  client_go=$("$GO" mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\([^"]*\)".*/\1/p')
  minor=$(sed -n 's#^[[:space:]]*k8s\.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$client_go" | head -n 1)
  local pkg flags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.metadata="
  flags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    flags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$minor"
  done
  build_in_wrapper "helm-$HELM_VERSION" "$out" "$flags" \
    "module vigil.local/k8s-tools/helm

go 1.25.0

require helm.sh/helm/v3 $HELM_VERSION" \
    helm.sh/helm/v3/cmd/helm
}

build_kwok() {
  local out=$CACHE/kwok-$KWOK_VERSION
  build_in_wrapper "kwok-$KWOK_VERSION" "$out" \
    "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBERNETES_VERSION" \
    "module vigil.local/k8s-tools/kwok

go 1.26.0

require sigs.k8s.io/kwok $KWOK_VERSION" \
    sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
}

link() { # link <versioned dir> <binary>...
  local dir=$1 tool
  shift
  for tool in "$@"; do ln -sfn "$dir/$tool" "$BIN/$tool"; done
}

log "$("$GO" version); cache $CACHE"
if ((CLUSTER)); then
  # The cluster tools that share no packages with Kubernetes build first, under their own lock, so a run of
  # the base set elsewhere is not kept waiting by them.
  exec 8>"$CACHE/.cluster.lock"
  flock 8
  build_kind
  build_coredns
  build_kube_router
  build_metrics_server
fi
# Two runs at once (CI and a developer) would race on the same wrapper modules.
exec 9>"$CACHE/.lock"
flock 9
build_etcd
build_helm
build_kwok
build_kubernetes
link "$CACHE/kubernetes-$KUBERNETES_VERSION" kube-apiserver kube-controller-manager kube-scheduler kubectl
link "$CACHE/etcd-$ETCD_VERSION" etcd
link "$CACHE/helm-$HELM_VERSION" helm
link "$CACHE/kwok-$KWOK_VERSION" kwok kwokctl
# A versions file lets tests and CI state exactly what they ran against.
cat >"$BIN/versions.env" <<EOF
KUBERNETES_VERSION=$KUBERNETES_VERSION
ETCD_VERSION=$ETCD_VERSION
HELM_VERSION=$HELM_VERSION
KWOK_VERSION=$KWOK_VERSION
EOF
log "helm $("$BIN/helm" version --short), $("$BIN/kubectl" version --client 2>/dev/null | head -n 1)," \
  "kube-apiserver $("$BIN/kube-apiserver" --version | cut -d' ' -f2), etcd $("$BIN/etcd" --version | head -n 1 | cut -d' ' -f3)," \
  "kwok $("$BIN/kwok" --version 2>&1 | head -n 1)"
if ((CLUSTER)); then
  # after the control plane, whose compiled packages it reuses
  build_kubernetes_node
  link "$CACHE/kubernetes-node-$KUBERNETES_VERSION" kubelet kubeadm kube-proxy
  link "$CACHE/kind-$KIND_VERSION" kind
  link "$CACHE/coredns-$COREDNS_VERSION" coredns
  link "$CACHE/kube-router-$KUBE_ROUTER_VERSION" kube-router
  link "$CACHE/metrics-server-$METRICS_SERVER_VERSION" metrics-server
  cat >"$BIN/cluster-versions.env" <<EOF
KIND_VERSION=$KIND_VERSION
COREDNS_VERSION=$COREDNS_VERSION
KUBE_ROUTER_VERSION=$KUBE_ROUTER_VERSION
METRICS_SERVER_VERSION=$METRICS_SERVER_VERSION
EOF
  log "$("$BIN/kind" version), kubelet $("$BIN/kubelet" --version | cut -d' ' -f2)"
fi
echo "$BIN"
