{{/* NetworkPolicy peers of the zones. Peers without a namespaceSelector mean this release's namespace. */}}

{{- define "vigil.peer.component" -}}
- podSelector:
    matchLabels:
      {{- include "vigil.selectorLabels" . | nindent 6 }}
{{- end -}}

{{- define "vigil.peer.appZone" -}}
- podSelector:
    matchLabels:
      {{- include "vigil.releaseSelector" . | nindent 6 }}
      vigil.io/zone: app
{{- end -}}

{{- define "vigil.peer.ops" -}}
- namespaceSelector:
    {{- toYaml .Values.networkPolicy.ops.namespaceSelector | nindent 4 }}
  podSelector:
    {{- toYaml .Values.networkPolicy.ops.podSelector | nindent 4 }}
{{- end -}}

{{- define "vigil.peer.nats" -}}
{{- if eq .Values.nats.mode "bundled" -}}
{{ include "vigil.peer.component" (dict "root" . "component" "nats") }}
{{- else -}}
- namespaceSelector:
    {{- toYaml .Values.nats.external.namespaceSelector | nindent 4 }}
  podSelector:
    {{- toYaml .Values.nats.external.podSelector | nindent 4 }}
{{- end -}}
{{- end -}}

{{- define "vigil.natsClientPort" -}}
{{- if eq .Values.nats.mode "bundled" -}}{{ .Values.nats.bundled.port }}{{- else -}}{{ .Values.nats.external.port }}{{- end -}}
{{- end -}}

{{- define "vigil.peer.postgresql" -}}
{{- if eq .Values.postgresql.mode "bundled" -}}
{{ include "vigil.peer.component" (dict "root" . "component" "postgresql") }}
{{- else if .Values.postgresql.external.cidrs -}}
{{- range .Values.postgresql.external.cidrs }}
- ipBlock:
    cidr: {{ . }}
{{- end }}
{{- else -}}
- namespaceSelector:
    {{- toYaml .Values.postgresql.external.namespaceSelector | nindent 4 }}
  podSelector:
    {{- toYaml .Values.postgresql.external.podSelector | nindent 4 }}
{{- end -}}
{{- end -}}

{{/* Egress every service needs: its NATS, its PostgreSQL (unless told not to) and the trace collector. */}}
{{- define "vigil.egress.dataZone" -}}
{{- $root := .root -}}
- to:
    {{- include "vigil.peer.nats" $root | nindent 4 }}
  ports:
    - protocol: TCP
      port: {{ include "vigil.natsClientPort" $root }}
{{- if .postgres }}
- to:
    {{- include "vigil.peer.postgresql" $root | nindent 4 }}
  ports:
    - protocol: TCP
      port: {{ include "vigil.postgresqlPort" $root }}
{{- end }}
{{- if $root.Values.otlpEndpoint }}
- to:
    {{- include "vigil.peer.ops" $root | nindent 4 }}
  ports:
    {{- range $root.Values.networkPolicy.ops.otlpPorts }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end }}
{{- end -}}
