#!/bin/sh
# Steps the service Dockerfiles share, run inside the build stages (node Alpine image, repository layout):
#   image-build.sh compile <service>...      transpile the services and the libraries they import into dist/
#   image-build.sh production <service>...   install the locked production dependencies of those services only
# (tools/images/suite.Dockerfile names all five services at once; each service Dockerfile names its own.)
set -eu

step=$1
shift
services=""
for service in "$@"; do services="$services --workspace @vigil/$service"; done
# Every service imports these workspace libraries; libs/testing is for tests only.
libs="contracts observability db messaging runtime"

lock_version() { # the version package-lock.json pins for a root dependency
  node -p "require('./package-lock.json').packages['node_modules/$1'].version"
}

case $step in
  compile)
    # Only the compiler, at the versions the lock pins, instead of every development tool of the repository.
    npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --prefix /opt/swc \
      "@swc/cli@$(lock_version @swc/cli)" "@swc/core@$(lock_version @swc/core)"
    workspaces=""
    for lib in $libs; do workspaces="$workspaces --workspace @vigil/$lib"; done
    # The packages' own build scripts, with swc found on PATH.
    # shellcheck disable=SC2086 # one word per flag
    PATH="/opt/swc/node_modules/.bin:$PATH" npm run build --silent $workspaces $services
    ;;
  production)
    # No install scripts: production dependencies are plain JavaScript, and the root's `node` package
    # (a development dependency) would download a second runtime.
    # shellcheck disable=SC2086 # one word per flag
    npm ci --no-audit --no-fund --omit=dev --ignore-scripts $services
    ;;
  *)
    echo "unknown step $step" >&2
    exit 2
    ;;
esac
