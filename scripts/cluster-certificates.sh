#!/usr/bin/env bash
# Makes the mTLS certificates of a Vigil release for clusters without cert-manager (chart value
# tls.source=existingSecrets): a private CA kept in the Secret <fullname>-ca, and for NATS, PostgreSQL and every
# service that is their client a certificate for its Service names, for server and client auth, in the Secret
# <fullname>-<component>-tls (ca.crt, tls.crt, tls.key) the chart mounts. Idempotent: a Secret signed by the
# current CA is kept; run it again after the CA changes or before the certificates expire (90 days).
#
#   scripts/cluster-certificates.sh <namespace> [fullname]     # fullname: the chart's, `vigil` for release vigil
set -euo pipefail

NAMESPACE=${1:?usage: cluster-certificates.sh <namespace> [fullname]}
FULLNAME=${2:-vigil}
COMPONENTS=(nats postgresql ingest validator scorer alerting gateway-api operator)
KUBECTL=${KUBECTL:-kubectl}

log() { printf '[certificates] %s\n' "$*" >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

secret_field() { # secret_field <secret> <key>: the decoded value, empty when the Secret or key is missing
  "$KUBECTL" -n "$NAMESPACE" get secret "$1" -o "go-template={{index .data \"$2\" | base64decode}}" 2>/dev/null || true
}

apply_secret() { # apply_secret <name> <component> <file>...
  local name=$1 component=$2 args=() file
  shift 2
  for file in "$@"; do args+=(--from-file="$(basename "$file")=$file"); done
  "$KUBECTL" -n "$NAMESPACE" create secret generic "$name" "${args[@]}" --dry-run=client -o yaml |
    "$KUBECTL" label --local -f - -o yaml "vigil.io/certificate=$component" \
      "app.kubernetes.io/part-of=vigil" |
    "$KUBECTL" -n "$NAMESPACE" apply -f - >/dev/null
}

# The CA: reused from its Secret, so every run signs with the same one.
secret_field "$FULLNAME-ca" ca.crt >"$work/ca.crt"
secret_field "$FULLNAME-ca" ca.key >"$work/ca.key"
if [[ ! -s $work/ca.crt || ! -s $work/ca.key ]]; then
  log "creating the release CA ($FULLNAME-ca)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=$FULLNAME-ca" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
  apply_secret "$FULLNAME-ca" ca "$work/ca.crt" "$work/ca.key"
fi

for component in "${COMPONENTS[@]}"; do
  secret=$FULLNAME-$component-tls
  secret_field "$secret" tls.crt >"$work/current.crt"
  if [[ -s $work/current.crt ]] && [[ $(secret_field "$secret" ca.crt) == "$(cat "$work/ca.crt")" ]] &&
    openssl verify -CAfile "$work/ca.crt" "$work/current.crt" >/dev/null 2>&1 &&
    openssl x509 -checkend $((30 * 24 * 3600)) -noout -in "$work/current.crt" >/dev/null; then
    log "kept: $secret"
    continue
  fi
  service=$FULLNAME-$component
  names="DNS:$service,DNS:$service.$NAMESPACE,DNS:$service.$NAMESPACE.svc,DNS:$service.$NAMESPACE.svc.cluster.local"
  mkdir -p "$work/$component"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$component" \
    -keyout "$work/$component/tls.key" -out "$work/$component/tls.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=$names" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth,clientAuth" \
    >"$work/$component/extensions"
  openssl x509 -req -days 90 -in "$work/$component/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
    -CAcreateserial -CAserial "$work/ca.srl" -extfile "$work/$component/extensions" \
    -out "$work/$component/tls.crt" 2>/dev/null
  cp "$work/ca.crt" "$work/$component/ca.crt"
  apply_secret "$secret" "$component" "$work/$component/ca.crt" "$work/$component/tls.crt" "$work/$component/tls.key"
  log "issued: $secret"
done
