#!/usr/bin/env bash
# `npm run cluster:up`: a real Kubernetes cluster named `vigil` on this machine's Docker engine, with the suite
# installed. Idempotent: a second run reuses what is there and upgrades the release.
#   1. builds the cluster tools (tools/k8s/build-tools.sh --cluster) and the images (tools/images/build.sh), cached
#   2. creates the kind cluster from k8s/kind/cluster.yaml (kube-router enforces NetworkPolicy) unless it runs
#   3. installs metrics-server (k8s/kind/metrics-server.yaml) for the HorizontalPodAutoscalers, makes the mTLS
#      certificates as Secrets (scripts/cluster-certificates.sh) and loads the suite's images and the trace
#      backend's into the node, the three at once
#   4. runs the ops zone's trace backend (k8s/kind/jaeger.yaml: Jaeger, OTLP in, the chart's otlpEndpoint) and, at
#      the same time, helm upgrade --install vigil charts/vigil -n vigil -f k8s/values-trial.yaml
#      -f k8s/kind/values.yaml --wait
# and prints the kubeconfig path and how to reach the dashboard.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CLUSTER=vigil
NAMESPACE=vigil
RELEASE=vigil
STATE=${VIGIL_CLUSTER_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/cluster}
export KUBECONFIG=$STATE/kubeconfig
started=$SECONDS

log() { printf '[cluster:up] %s\n' "$*" >&2; }
phase() { # phase <title> <command>...: runs one step and says how long it took
  local title=$1 began=$SECONDS
  shift
  log "$title"
  "$@"
  log "$title: done in $((SECONDS - began)) s"
}

mkdir -p "$STATE"
K8S_BIN=$(tools/k8s/build-tools.sh --cluster | tail -n 1)
# kind runs its node with `docker run --privileged`; the shim adapts that to hosts that lack a capability
export PATH="$(pwd)/tools/k8s/docker-shim:$K8S_BIN:$PATH"
# helm keeps its caches with the cluster state, not in the home folder
export HELM_CACHE_HOME=$STATE/helm/cache HELM_CONFIG_HOME=$STATE/helm/config HELM_DATA_HOME=$STATE/helm/data

create_cluster() {
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER" &&
    [[ $(docker inspect -f '{{.State.Running}}' "$CLUSTER-control-plane" 2>/dev/null) == true ]]; then
    log "cluster $CLUSTER already runs"
    kind export kubeconfig --name "$CLUSTER" --kubeconfig "$KUBECONFIG" >/dev/null 2>&1
  else
    kind delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" >/dev/null 2>&1 || true
    kind create cluster --name "$CLUSTER" --config k8s/kind/cluster.yaml --kubeconfig "$KUBECONFIG" --wait 5m
  fi
  kubectl wait --for=condition=Ready node --all --timeout=5m
  kubectl -n kube-system rollout status daemonset/kube-router --timeout=5m
  kubectl -n kube-system rollout status deployment/coredns --timeout=5m
}

install_metrics_server() {
  kubectl apply -f k8s/kind/metrics-server.yaml >/dev/null
  kubectl -n kube-system rollout status deployment/metrics-server --timeout=5m
}

load_images() {
  local images
  mapfile -t images < <(tools/images/build.sh --print | grep -E '^vigil(-ops)?/')
  # kind skips an image the node already holds with the same id
  kind load docker-image --name "$CLUSTER" "${images[@]}"
}

install_trace_backend() {
  kubectl apply -f k8s/kind/jaeger.yaml >/dev/null
  kubectl -n vigil-ops rollout status deployment/jaeger --timeout=5m
}

prepare_namespace() {
  kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  # the suite's pods meet the restricted Pod Security Standard; the namespace enforces it
  kubectl label namespace "$NAMESPACE" --overwrite pod-security.kubernetes.io/enforce=restricted >/dev/null
  KUBECTL=kubectl scripts/cluster-certificates.sh "$NAMESPACE" "$RELEASE"
}

install_suite() {
  # The images keep their tag when rebuilt; their ids in a pod annotation roll the services onto new builds.
  local images
  images=$(tools/images/build.sh --print | grep '^vigil/' | xargs docker image inspect -f '{{.Id}}' | sha256sum | cut -c1-16)
  helm upgrade --install "$RELEASE" charts/vigil -n "$NAMESPACE" \
    -f k8s/values-trial.yaml -f k8s/kind/values.yaml ${VIGIL_CLUSTER_VALUES:+-f "$VIGIL_CLUSTER_VALUES"} \
    --set-string "serviceDefaults.podAnnotations.vigil\.io/images=$images" \
    --wait --timeout 10m
  kubectl -n "$NAMESPACE" get pods -o wide
}

phase "tools and images (tools/images/build.sh)" tools/images/build.sh >/dev/null
phase "kind cluster $CLUSTER" create_cluster
# at_once <title> <function> [<title> <function>...]: each function a phase of its own, all at the same time;
# fails when any of them failed
at_once() {
  local pids=() pid status=0
  while (($#)); do
    phase "$1" "$2" &
    pids+=($!)
    shift 2
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  return "$status"
}
# metrics-server's rollout (its image is in the node image) and the certificates wait on other things than the
# image load, which is mostly I/O: they run beside it
phase "metrics-server, certificates and the images into the node, at once" at_once \
  "metrics-server" install_metrics_server \
  "namespace $NAMESPACE and mTLS certificates" prepare_namespace \
  "images into the node" load_images
# the suite's pods export spans to the trace backend once it answers (until then their exporter retries): the two
# roll out at once
phase "the trace backend and the suite, at once" at_once \
  "trace backend (Jaeger) in the ops zone" install_trace_backend \
  "helm upgrade --install $RELEASE" install_suite

cat <<EOF

Vigil runs on the kind cluster '$CLUSTER' (up in $((SECONDS - started)) s).
  export KUBECONFIG=$KUBECONFIG
  kubectl -n $NAMESPACE get pods -L vigil.io/zone
Dashboard: forward the edge gateway, then browse to http://127.0.0.1:8080/ and sign in as analyst or admin:
  kubectl -n $NAMESPACE port-forward svc/$RELEASE-gateway 8080:8080
  kubectl -n $NAMESPACE get secret $RELEASE-secrets -o jsonpath='{.data.demo-password}' | base64 -d; echo
Traces (every service exports to the ops zone's Jaeger): kubectl -n vigil-ops port-forward svc/jaeger 16686:16686
  curl 'http://127.0.0.1:16686/api/traces?service=gateway&limit=20'
Check the install: helm test $RELEASE -n $NAMESPACE --logs      Remove it all: npm run cluster:down
EOF
