#!/usr/bin/env bash
# Builds, with a local Docker engine and no registry, every image the chart and the trial cluster run:
#   vigil/<service>:<appVersion>     the six services (the operator too), one build (tools/images/suite.Dockerfile)
#   vigil/nats, vigil/postgres       the bundled data zone (nats-server from the Go module proxy, Debian's PostgreSQL)
#   vigil-ops/jaeger                 a trace backend for the ops zone (tools/jaeger/build.sh; k8s/kind/jaeger.yaml)
#   registry.k8s.io/...              what kubeadm runs (control plane, etcd, CoreDNS, kube-proxy, pause)
#   vigil-cluster/...                the kind node image and the add-ons (kube-router, metrics-server)
# on a Debian base made by debootstrap, with Node from the repository's `node` package. Each image carries the
# hash of its inputs in the label vigil.inputs and is rebuilt only when they change.
#
#   tools/images/build.sh             # build what is missing or stale
#   tools/images/build.sh --print     # print the image names, one a line
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
CACHE=${VIGIL_IMAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/images}
NICE=${VIGIL_BUILD_NICE:-15}
# The legacy builder: BuildKit would fetch its Dockerfile frontend from a registry.
export DOCKER_BUILDKIT=0
# `docker run --privileged` (the node image build) adapted to hosts that lack a capability (tools/k8s/docker-shim)
export PATH="$REPO/tools/k8s/docker-shim:$PATH"

APP_VERSION=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' charts/vigil/Chart.yaml)
NATS_VERSION=v2.15.2
NPM_VERSION=11.21.3
POSTGRES_MAJOR=15
KUBERNETES_VERSION=v1.35.4
ETCD_IMAGE_TAG=3.6.16-0
COREDNS_VERSION=v1.14.3
PAUSE_VERSION=3.10.1
KUBE_ROUTER_VERSION=v2.1.0
METRICS_SERVER_VERSION=v0.8.0
SERVICES=(alerting gateway ingest operator scorer validator)

BASE_IMAGE=vigil-build/debian:bookworm
NODE_IMAGE=vigil-build/node:$(node_modules/node/bin/node --version 2>/dev/null | tr -d v || echo missing)
NATS_IMAGE=vigil/nats:${NATS_VERSION#v}
POSTGRES_IMAGE=vigil/postgres:$POSTGRES_MAJOR
KIND_NODE_IMAGE=vigil-cluster/node:$KUBERNETES_VERSION
JAEGER_IMAGE=vigil-ops/jaeger:$(tools/jaeger/build.sh --version | tr -d v)
# image name | binaries from the k8s tool cache | Debian packages | entrypoint
CLUSTER_IMAGES=(
  "registry.k8s.io/kube-apiserver:$KUBERNETES_VERSION|kube-apiserver||"
  "registry.k8s.io/kube-controller-manager:$KUBERNETES_VERSION|kube-controller-manager||"
  "registry.k8s.io/kube-scheduler:$KUBERNETES_VERSION|kube-scheduler||"
  "registry.k8s.io/kube-proxy:$KUBERNETES_VERSION|kube-proxy|iptables conntrack ipset|"
  "registry.k8s.io/etcd:$ETCD_IMAGE_TAG|etcd||"
  "registry.k8s.io/coredns/coredns:$COREDNS_VERSION|coredns||/usr/local/bin/coredns"
  "registry.k8s.io/pause:$PAUSE_VERSION||catatonit|/usr/bin/catatonit -P"
  "vigil-cluster/kube-router:$KUBE_ROUTER_VERSION|kube-router|iptables ipset conntrack|"
  "vigil-cluster/metrics-server:$METRICS_SERVER_VERSION|metrics-server||/usr/local/bin/metrics-server"
)

log() { printf '[images] %s\n' "$*" >&2; }

app_images() {
  local service
  for service in "${SERVICES[@]}"; do echo "vigil/$service:$APP_VERSION"; done
  echo "$NATS_IMAGE"
  echo "$POSTGRES_IMAGE"
}

if [[ ${1:-} == --print ]]; then
  app_images
  echo "$JAEGER_IMAGE"
  echo "$KIND_NODE_IMAGE"
  exit 0
fi

docker info >/dev/null 2>&1 || {
  log "no Docker engine answers (start dockerd first)"
  exit 1
}
mkdir -p "$CACHE/context"
exec 9>"$CACHE/.lock"
flock 9

# inputs_hash <text> <file or folder>...: one hash over a text and the paths and contents of the files.
inputs_hash() {
  local text=$1
  shift
  {
    echo "$text"
    find "$@" -type f -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
}

image_inputs() { # the vigil.inputs label of an image, empty when it is missing
  docker image inspect -f '{{index .Config.Labels "vigil.inputs"}}' "$1" 2>/dev/null || true
}

image_id() { docker image inspect -f '{{.Id}}' "$1"; }

normalized() { # an image name as containerd stores it: docker.io/ added to names without a registry host
  if [[ ${1%%/*} == *.* ]]; then echo "$1"; else echo "docker.io/$1"; fi
}

# fresh_context <name>: an empty build context folder under the cache
fresh_context() {
  local dir=$CACHE/context/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$dir"
}

# docker_build <image> <hash> <docker build arguments>...: builds unless the image already has these inputs.
docker_build() {
  local image=$1 hash=$2 started=$SECONDS
  shift 2
  if [[ $(image_inputs "$image") == "$hash" ]]; then
    log "cached: $image"
    return
  fi
  log "building $image"
  nice -n "$NICE" docker build -q --network host --label "vigil.inputs=$hash" -t "$image" "$@" >/dev/null
  log "built $image in $((SECONDS - started)) s"
}

build_base() {
  local hash rootfs=$CACHE/rootfs-bookworm started=$SECONDS
  hash=$(echo "debootstrap --variant=minbase bookworm" | sha256sum | cut -c1-16)
  if [[ $(image_inputs "$BASE_IMAGE") == "$hash" ]]; then
    log "cached: $BASE_IMAGE"
    return
  fi
  if [[ ! -f $rootfs.complete ]]; then
    log "debootstrap --variant=minbase bookworm (a few minutes)"
    rm -rf "$rootfs" "$rootfs.partial"
    nice -n "$NICE" debootstrap --variant=minbase bookworm "$rootfs.partial" http://deb.debian.org/debian >"$CACHE/debootstrap.log"
    mv "$rootfs.partial" "$rootfs"
    touch "$rootfs.complete"
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*_Packages
  tar -C "$rootfs" -c . | docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "LABEL vigil.inputs=$hash" --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  log "imported $BASE_IMAGE in $((SECONDS - started)) s"
}

build_node() {
  local node=node_modules/node/bin/node ctx hash tarball=$CACHE/npm-$NPM_VERSION.tgz
  [[ -x $node ]] || {
    log "no $node: run npm ci first"
    return 1
  }
  if [[ ! -f $tarball ]]; then
    log "npm pack npm@$NPM_VERSION"
    (cd "$CACHE" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  fi
  hash=$(inputs_hash "$(image_id "$BASE_IMAGE") npm $NPM_VERSION" tools/images/node.Dockerfile "$node" \
    /etc/ssl/certs/ca-certificates.crt)
  if [[ $(image_inputs "$NODE_IMAGE") == "$hash" ]]; then
    log "cached: $NODE_IMAGE"
    return
  fi
  ctx=$(fresh_context node)
  cp "$node" "$ctx/node"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  mkdir -p "$ctx/npm"
  tar -xzf "$tarball" -C "$ctx/npm" --strip-components=1
  docker_build "$NODE_IMAGE" "$hash" --build-arg "BASE_IMAGE=$BASE_IMAGE" -f tools/images/node.Dockerfile "$ctx"
}

# service_settings <service>: the working directory, ports and command of a service image (as its Dockerfile says)
service_settings() {
  local ports
  ports=$(awk -v target="$1" '$1 == "FROM" && $4 == target { found = 1 } found && $1 == "EXPOSE" { $1 = ""; print; exit }' \
    tools/images/suite.Dockerfile)
  printf '%s\n' --change "WORKDIR /app/services/$1" --change 'CMD ["node", "dist/main.js"]'
  local port
  for port in $ports; do printf '%s\n' --change "EXPOSE $port"; done
}

# One build of the suite stage; each service image is that image with its own working directory, ports and command
# (the last stages of suite.Dockerfile), so the six share every layer and are made in a second each.
build_services() {
  local hash service files suite=vigil-build/suite container changes
  # what the Dockerfile copies: manifests, sources, migrations, models and policies (not tests: .dockerignore)
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- package.json package-lock.json .npmrc .swcrc \
    .dockerignore libs services tools/docker tools/images/suite.Dockerfile |
    grep -vE '(^|/)test/|\.spec\.ts$' | while read -r file; do [[ -f $file ]] && echo "$file"; done)
  hash=$(inputs_hash "$(image_id "$NODE_IMAGE")" "${files[@]}")
  docker_build "$suite:$APP_VERSION" "$hash" --build-arg "NODE_IMAGE=$NODE_IMAGE" \
    -f tools/images/suite.Dockerfile --target suite .
  for service in "${SERVICES[@]}"; do
    if [[ $(image_inputs "vigil/$service:$APP_VERSION") == "$hash" ]]; then
      log "cached: vigil/$service:$APP_VERSION"
      continue
    fi
    mapfile -t changes < <(service_settings "$service")
    container=$(docker create "$suite:$APP_VERSION")
    docker commit "${changes[@]}" --change "LABEL vigil.inputs=$hash" "$container" "vigil/$service:$APP_VERSION" >/dev/null
    docker rm "$container" >/dev/null
    log "made vigil/$service:$APP_VERSION"
  done
}

nats_server() {
  local dir=${XDG_CACHE_HOME:-$HOME/.cache}/vigil/nats-server-$NATS_VERSION
  if [[ ! -x $dir/nats-server ]]; then
    log "building nats-server $NATS_VERSION from the Go module proxy"
    mkdir -p "$dir"
    GOBIN="$dir" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 nice -n "$NICE" \
      "$(command -v go || echo /usr/local/go/bin/go)" install "github.com/nats-io/nats-server/v2@$NATS_VERSION"
  fi
  echo "$dir/nats-server"
}

build_nats() {
  local binary ctx hash
  binary=$(nats_server)
  hash=$(inputs_hash "$(image_id "$BASE_IMAGE")" tools/images/nats.Dockerfile "$binary")
  [[ $(image_inputs "$NATS_IMAGE") == "$hash" ]] && {
    log "cached: $NATS_IMAGE"
    return
  }
  ctx=$(fresh_context nats)
  cp "$binary" "$ctx/"
  docker_build "$NATS_IMAGE" "$hash" --build-arg "BASE_IMAGE=$BASE_IMAGE" -f tools/images/nats.Dockerfile "$ctx"
}

build_postgres() {
  local hash
  hash=$(inputs_hash "$(image_id "$BASE_IMAGE") $POSTGRES_MAJOR" tools/images/postgres.Dockerfile \
    tools/images/postgres-entrypoint.sh)
  docker_build "$POSTGRES_IMAGE" "$hash" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --build-arg "POSTGRES_MAJOR=$POSTGRES_MAJOR" -f tools/images/postgres.Dockerfile tools/images
}

build_cluster_images() {
  local k8s_bin=$1 entry image binaries packages entrypoint ctx hash binary
  for entry in "${CLUSTER_IMAGES[@]}"; do
    IFS='|' read -r image binaries packages entrypoint <<<"$entry"
    hash=$(inputs_hash "$(image_id "$BASE_IMAGE") $binaries $packages $entrypoint" tools/images/binary.Dockerfile \
      ${binaries:+$(for binary in $binaries; do readlink -f "$k8s_bin/$binary"; done)})
    if [[ $(image_inputs "$image") == "$hash" ]]; then
      log "cached: $image"
      continue
    fi
    ctx=$(fresh_context cluster-image)
    mkdir -p "$ctx/bin"
    for binary in $binaries; do cp "$(readlink -f "$k8s_bin/$binary")" "$ctx/bin/$binary"; done
    docker_build "$image" "$hash" --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "PACKAGES=$packages" \
      --build-arg "ENTRYPOINT=${entrypoint:-/bin/sh}" -f tools/images/binary.Dockerfile "$ctx"
  done
}

# Jaeger v2 (an OpenTelemetry Collector distribution) on the Debian base: OTLP in, traces in memory, the query API
build_jaeger() {
  local binary ctx hash
  binary=$(nice -n "$NICE" tools/jaeger/build.sh | tail -n 1)
  hash=$(inputs_hash "$(image_id "$BASE_IMAGE") jaeger" tools/images/binary.Dockerfile "$binary")
  if [[ $(image_inputs "$JAEGER_IMAGE") == "$hash" ]]; then
    log "cached: $JAEGER_IMAGE"
    return
  fi
  ctx=$(fresh_context jaeger)
  mkdir -p "$ctx/bin"
  cp "$binary" "$ctx/bin/jaeger"
  docker_build "$JAEGER_IMAGE" "$hash" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --build-arg "ENTRYPOINT=/usr/local/bin/jaeger" -f tools/images/binary.Dockerfile "$ctx"
}

# The kind node image: Debian's systemd, containerd, runc and CNI plugins with kubelet, kubeadm and kubectl, and
# every cluster image imported into containerd's k8s.io namespace (kind's own node-image build would fetch them).
build_kind_node() {
  local k8s_bin=$1 hash ctx images=() entry image container started=$SECONDS
  for entry in "${CLUSTER_IMAGES[@]}"; do images+=("${entry%%|*}"); done
  hash=$(inputs_hash "$(image_id "$BASE_IMAGE") $(for image in "${images[@]}"; do image_id "$image"; done)" \
    tools/images/kind-node "$(readlink -f "$k8s_bin/kubelet")" "$(readlink -f "$k8s_bin/kubeadm")" \
    "$(readlink -f "$k8s_bin/kubectl")")
  if [[ $(image_inputs "$KIND_NODE_IMAGE") == "$hash" ]]; then
    log "cached: $KIND_NODE_IMAGE"
    return
  fi
  ctx=$(fresh_context kind-node)
  cp -a tools/images/kind-node/. "$ctx/"
  mkdir -p "$ctx/bin"
  for binary in kubelet kubeadm kubectl; do cp "$(readlink -f "$k8s_bin/$binary")" "$ctx/bin/$binary"; done
  docker_build "$KIND_NODE_IMAGE-base" "$hash" --build-arg "BASE_IMAGE=$BASE_IMAGE" "$ctx"
  log "importing ${#images[@]} images into the node image's containerd"
  container=vigil-node-image-build
  docker rm -f "$container" >/dev/null 2>&1 || true
  docker run -d --name "$container" --privileged --entrypoint sleep "$KIND_NODE_IMAGE-base" infinity >/dev/null
  docker exec -d "$container" sh -c 'containerd >/var/log/containerd-build.log 2>&1'
  local deadline=$((SECONDS + 60))
  until docker exec "$container" ctr version >/dev/null 2>&1; do
    ((SECONDS < deadline)) || {
      docker exec "$container" cat /var/log/containerd-build.log >&2 || true
      log "containerd did not start in the node image"
      return 1
    }
    sleep 1
  done
  docker save "${images[@]}" | docker exec -i "$container" \
    ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests - >/dev/null
  # the kubelet's image garbage collection leaves pinned images alone
  for image in "${images[@]}"; do
    docker exec "$container" ctr --namespace=k8s.io images label "$(normalized "$image")" \
      io.cri-containerd.pinned=pinned >/dev/null
  done
  docker exec "$container" ctr --namespace=k8s.io images list -q | grep -vE '^(sha256:|import-)' >&2
  docker exec "$container" sh -c 'pkill containerd; while pgrep -x containerd >/dev/null; do sleep 0.2; done; rm -f /var/log/containerd-build.log'
  docker commit \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' \
    --change "LABEL vigil.inputs=$hash" "$container" "$KIND_NODE_IMAGE" >/dev/null
  docker rm -f "$container" >/dev/null
  log "built $KIND_NODE_IMAGE in $((SECONDS - started)) s"
}

started=$SECONDS
build_base
build_node
build_nats
build_postgres
build_services
build_jaeger
if [[ ${VIGIL_IMAGES_CLUSTER:-1} == 1 ]]; then
  K8S_BIN=$(tools/k8s/build-tools.sh --cluster | tail -n 1)
  build_cluster_images "$K8S_BIN"
  build_kind_node "$K8S_BIN"
fi
log "images ready in $((SECONDS - started)) s"
app_images
