#!/usr/bin/env bash
# Builds Jaeger v2 (an OpenTelemetry Collector distribution: OTLP in, a trace store, the query API) from the Go
# module proxy into a cache outside the repository, in a scratch module as Jaeger's module list advises
# (`go get -tool`), so the repository keeps no Go files. Idempotent; prints the binary's path on its last line.
# About 20 minutes cold on 2 cores, a second when cached. Used by .ci/run (the trace tests), npm start --traces
# and tools/images/build.sh (the trace backend pod of the cluster tests).
#
#   tools/jaeger/build.sh             # build unless cached; print the binary's path
#   tools/jaeger/build.sh --version   # print the pinned version only
set -euo pipefail

JAEGER_VERSION=v1.75.0
DIR=${XDG_CACHE_HOME:-$HOME/.cache}/vigil/jaeger-$JAEGER_VERSION

if [[ ${1:-} == --version ]]; then
  echo "$JAEGER_VERSION"
  exit 0
fi

if [[ -x $DIR/jaeger ]]; then
  echo "$DIR/jaeger"
  exit 0
fi

GO=$(command -v go || echo /usr/local/go/bin/go)
[[ -x $GO ]] || {
  echo "no Go toolchain at $GO: Jaeger is built from the Go module proxy" >&2
  exit 1
}
# the module and build caches every Go build of the repository shares (.ci/run, tools/k8s/build-tools.sh)
GO_CACHE=${VIGIL_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/go}
export GOMODCACHE=$GO_CACHE/mod GOCACHE=$GO_CACHE/build GOGC=${GOGC:-400} CGO_ENABLED=0 GOTOOLCHAIN=local \
  GOFLAGS="-trimpath -mod=mod -buildvcs=false"

module=$(mktemp -d "${TMPDIR:-/tmp}/jaeger-build.XXXXXX")
trap 'rm -rf "$module" "$DIR.partial"' EXIT
rm -rf "$DIR.partial"
mkdir -p "$DIR.partial"
started=$SECONDS
echo "[jaeger] building $JAEGER_VERSION from the Go module proxy" >&2
(
  cd "$module"
  "$GO" mod init vigil.local/jaeger-build >/dev/null 2>&1
  "$GO" get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2
  "$GO" build -ldflags='-s -w' -o "$DIR.partial/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger >&2
)
rm -rf "$DIR"
mv "$DIR.partial" "$DIR"
echo "[jaeger] built in $((SECONDS - started)) s" >&2
echo "$DIR/jaeger"
