{{/* Names, labels and the shared pieces of every component's pod. */}}

{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-wide prefix, at most 63 characters (a DNS label). */}}
{{- define "vigil.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's objects: (dict "root" $ "component" "gateway"). */}}
{{- define "vigil.componentName" -}}
{{- printf "%s-%s" (include "vigil.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vigil.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The services in start order, each with its network zone. The operator joins this list as an app-zone
component with its own ServiceAccount, RBAC and CRDs (charts/vigil/crds). The public API is two components
of the gateway image: gateway-api (app zone, the full gateway with NATS and PostgreSQL) and gateway (dmz,
the edge proxy in front of it that reaches nothing else). */}}
{{- define "vigil.serviceZones" -}}
ingest: app
validator: app
scorer: app
alerting: app
gateway-api: app
gateway: dmz
{{- end -}}

{{- define "vigil.serviceNames" -}}
{{- list "ingest" "validator" "scorer" "alerting" "gateway-api" "gateway" | toJson -}}
{{- end -}}

{{/* Key of a component's block under `services`: component names are kebab-case, value keys camelCase. */}}
{{- define "vigil.serviceKey" -}}
{{- ternary "gatewayApi" . (eq . "gateway-api") -}}
{{- end -}}

{{/* URL the edge gateway forwards every request to: gateway-api's Service. */}}
{{- define "vigil.gatewayUpstreamUrl" -}}
{{- printf "http://%s:%v" (include "vigil.componentName" (dict "root" . "component" "gateway-api")) .Values.services.gatewayApi.port -}}
{{- end -}}

{{/* Labels that select every pod of this release, whatever its zone. */}}
{{- define "vigil.releaseSelector" -}}
app.kubernetes.io/name: {{ include "vigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of one component: (dict "root" $ "component" "gateway"). */}}
{{- define "vigil.selectorLabels" -}}
{{ include "vigil.releaseSelector" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Labels of one component: (dict "root" $ "component" "gateway" "zone" "dmz"). */}}
{{- define "vigil.labels" -}}
helm.sh/chart: {{ include "vigil.chart" .root }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: vigil
{{- with .zone }}
vigil.io/zone: {{ . }}
{{- end }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of release-wide objects (Secrets, Issuers, NetworkPolicies). */}}
{{- define "vigil.commonLabels" -}}
helm.sh/chart: {{ include "vigil.chart" . }}
{{ include "vigil.releaseSelector" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vigil
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Image of a component: (dict "root" $ "component" name "imageName" override); the image is named after
the component unless the service block names another (gateway-api runs the gateway image). */}}
{{- define "vigil.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag must name a release, not latest" -}}
{{- end -}}
{{- printf "%s/%s:%s" .root.Values.image.registry (.imageName | default .component) $tag -}}
{{- end -}}

{{/* Secret names: an existing Secret wins over the chart's own. */}}
{{- define "vigil.secretName" -}}
{{- default (printf "%s-secrets" (include "vigil.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "vigil.postgresqlSecretName" -}}
{{- default (printf "%s-postgresql" (include "vigil.fullname" .)) .Values.postgresql.existingSecret -}}
{{- end -}}

{{/* One value of a generated Secret: the value given in values wins; otherwise the value already stored
in the cluster (so upgrades never regenerate it); otherwise a new random one. Called with
(dict "root" $ "secret" name "key" key "value" given "length" n). */}}
{{- define "vigil.generatedValue" -}}
{{- $stored := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- $data := dig "data" dict ($stored | default dict) -}}
{{- if .value -}}
{{- .value -}}
{{- else if hasKey $data .key -}}
{{- index $data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum (int .length) -}}
{{- end -}}
{{- end -}}

{{/* In-cluster DNS names of a component's Service, for server certificates and client URLs. */}}
{{- define "vigil.serviceHost" -}}
{{- printf "%s.%s.svc" (include "vigil.componentName" .) .root.Release.Namespace -}}
{{- end -}}

{{- define "vigil.natsUrl" -}}
{{- if eq .Values.nats.mode "external" -}}
{{- .Values.nats.external.url -}}
{{- else -}}
{{- printf "%s://%s:%d" (ternary "tls" "nats" .Values.tls.enabled) (include "vigil.serviceHost" (dict "root" . "component" "nats")) (int .Values.nats.bundled.port) -}}
{{- end -}}
{{- end -}}

{{- define "vigil.natsMonitoringEndpoint" -}}
{{- if eq .Values.nats.mode "external" -}}
{{- .Values.nats.external.monitoringEndpoint -}}
{{- else -}}
{{- printf "%s:%d" (include "vigil.serviceHost" (dict "root" . "component" "nats")) (int .Values.nats.bundled.monitoringPort) -}}
{{- end -}}
{{- end -}}

{{- define "vigil.postgresqlHost" -}}
{{- if eq .Values.postgresql.mode "external" -}}
{{- .Values.postgresql.external.host -}}
{{- else -}}
{{- include "vigil.serviceHost" (dict "root" . "component" "postgresql") -}}
{{- end -}}
{{- end -}}

{{- define "vigil.postgresqlPort" -}}
{{- if eq .Values.postgresql.mode "external" -}}{{ .Values.postgresql.external.port }}{{- else -}}5432{{- end -}}
{{- end -}}

{{/* Where every service finds its certificate, key and the CA (a cert-manager Secret mounted read-only). */}}
{{- define "vigil.tlsDir" -}}/etc/vigil/tls{{- end -}}

{{/* DATABASE_URL, completed by the kubelet with $(DATABASE_PASSWORD) from the Secret. With TLS the client
verifies the server's name against its certificate (verify-full) and presents its own certificate. */}}
{{- define "vigil.databaseUrl" -}}
{{- $base := printf "postgres://%s:$(DATABASE_PASSWORD)@%s:%s/%s" .Values.postgresql.username (include "vigil.postgresqlHost" .) (include "vigil.postgresqlPort" .) .Values.postgresql.database -}}
{{- if .Values.tls.enabled -}}
{{- $dir := include "vigil.tlsDir" . -}}
{{- printf "%s?sslmode=verify-full&sslrootcert=%s/ca.crt&sslcert=%s/tls.crt&sslkey=%s/tls.key" $base $dir $dir $dir -}}
{{- else -}}
{{- printf "%s?sslmode=disable" $base -}}
{{- end -}}
{{- end -}}

{{/* Pod and container security that meets the restricted Pod Security Standard. */}}
{{- define "vigil.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "vigil.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Certificate for one component: (dict "root" $ "component" name "dnsNames" list). Nothing when the
certificates are existing Secrets (tls.source). */}}
{{- define "vigil.certificate" -}}
{{- if eq (include "vigil.tlsSource" .root) "cert-manager" -}}
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ include "vigil.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "vigil.labels" (dict "root" .root "component" .component) | nindent 4 }}
spec:
  secretName: {{ include "vigil.componentName" . }}-tls
  commonName: {{ .component }}
  dnsNames:
    {{- toYaml .dnsNames | nindent 4 }}
  duration: {{ .root.Values.tls.duration }}
  renewBefore: {{ .root.Values.tls.renewBefore }}
  privateKey:
    algorithm: {{ .root.Values.tls.privateKeyAlgorithm }}
    size: {{ .root.Values.tls.privateKeySize }}
    encoding: PKCS8
    rotationPolicy: Always
  # Every party is both: a server to its peers where it listens, a client of NATS and PostgreSQL.
  usages:
    - digital signature
    - key encipherment
    - server auth
    - client auth
  issuerRef:
    {{- include "vigil.issuerRef" .root | nindent 4 }}
{{- end -}}
{{- end -}}

{{/* tls.source, checked. */}}
{{- define "vigil.tlsSource" -}}
{{- $source := .Values.tls.source | default "cert-manager" -}}
{{- if not (has $source (list "cert-manager" "existingSecrets")) -}}
{{- fail (printf "tls.source must be cert-manager or existingSecrets, not %q" $source) -}}
{{- end -}}
{{- $source -}}
{{- end -}}

{{- define "vigil.issuerRef" -}}
{{- if .Values.tls.issuer.create -}}
name: {{ include "vigil.fullname" . }}-ca
kind: Issuer
group: cert-manager.io
{{- else -}}
{{- if not .Values.tls.issuer.ref.name -}}
{{- fail "tls.issuer.ref.name is required when tls.issuer.create is false" -}}
{{- end -}}
{{- toYaml .Values.tls.issuer.ref -}}
{{- end -}}
{{- end -}}

{{/* In-cluster names a server certificate must carry for its Service. */}}
{{- define "vigil.serviceDnsNames" -}}
{{- $name := include "vigil.componentName" . -}}
{{- $ns := .root.Release.Namespace -}}
{{- list $name (printf "%s.%s" $name $ns) (printf "%s.%s.svc" $name $ns) (printf "%s.%s.svc.cluster.local" $name $ns) | toJson -}}
{{- end -}}

{{/* A sidecar that reloads a data-zone server when cert-manager renews its certificate: the Secret volume
changes in place, but NATS and PostgreSQL read certificates only at start and on reload.
(dict "root" $ "image" image "dir" mount "reload" command "env" list "mounts" list) */}}
{{- define "vigil.certReloader" -}}
- name: reload-certificates
  image: {{ .image }}
  imagePullPolicy: IfNotPresent
  command:
    - sh
    - -c
    - |
      trap 'exit 0' TERM INT
      digest() { cat {{ .dir }}/ca.crt {{ .dir }}/tls.crt {{ .dir }}/tls.key | md5sum; }
      seen=$(digest)
      while true; do
        sleep 60 & wait $!
        now=$(digest)
        if [ "$now" != "$seen" ] && {{ .reload }}; then
          echo "renewed certificate loaded"
          seen=$now
        fi
      done
  {{- with .env }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "vigil.containerSecurityContext" . | nindent 4 }}
  resources:
    requests: { cpu: 5m, memory: 8Mi }
    limits: { cpu: 50m, memory: 32Mi }
  volumeMounts:
    {{- toYaml .mounts | nindent 4 }}
{{- end -}}

{{/* Settings that moved when the gateway was split into the edge gateway and gateway-api: refuse them
where they no longer act instead of ignoring them. */}}
{{- define "vigil.checkMovedValues" -}}
{{- range $key := list "tokenTtlSeconds" "refreshTokenTtlSeconds" "signingKeyMaxAgeSeconds" "oidc" "egress" }}
{{- if hasKey $.Values.services.gateway $key }}
{{- fail (printf "services.gateway.%s moved to services.gatewayApi.%s (the edge gateway neither signs tokens nor leaves the cluster)" $key $key) }}
{{- end }}
{{- end }}
{{- if hasKey $.Values.networkPolicy.gateway "postgres" }}
{{- fail "networkPolicy.gateway.postgres is gone: the edge gateway never reaches PostgreSQL; gateway-api (app zone) does" }}
{{- end }}
{{- end -}}
