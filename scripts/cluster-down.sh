#!/usr/bin/env bash
# `npm run cluster:down`: deletes the kind cluster `vigil` (its node container, volumes and network) and the
# kubeconfig cluster:up wrote. The images and build caches stay, so the next cluster:up starts warm. Idempotent.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CLUSTER=vigil
STATE=${VIGIL_CLUSTER_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/cluster}

export PATH="$(pwd)/tools/k8s/docker-shim:$PATH"

log() { printf '[cluster:down] %s\n' "$*" >&2; }

if K8S_BIN=$(tools/k8s/build-tools.sh --print --cluster 2>/dev/null); then
  if "$K8S_BIN/kind" get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    log "deleting kind cluster $CLUSTER"
    "$K8S_BIN/kind" delete cluster --name "$CLUSTER" --kubeconfig "$STATE/kubeconfig"
  else
    log "no kind cluster $CLUSTER"
  fi
else
  # without kind, the node container is removed by its kind labels
  mapfile -t nodes < <(docker ps -aq --filter "label=io.x-k8s.kind.cluster=$CLUSTER" 2>/dev/null || true)
  if ((${#nodes[@]})); then
    log "removing the node containers of cluster $CLUSTER"
    docker rm -f -v "${nodes[@]}" >/dev/null
  else
    log "no kind cluster $CLUSTER"
  fi
fi
rm -rf "$STATE"
log "done"
