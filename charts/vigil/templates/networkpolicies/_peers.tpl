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

{{/* Egress every app-zone service needs: its NATS, its PostgreSQL and the trace collector. */}}
{{- define "vigil.egress.dataZone" -}}
- to:
    {{- include "vigil.peer.nats" . | nindent 4 }}
  ports:
    - protocol: TCP
      port: {{ include "vigil.natsClientPort" . }}
- to:
    {{- include "vigil.peer.postgresql" . | nindent 4 }}
  ports:
    - protocol: TCP
      port: {{ include "vigil.postgresqlPort" . }}
{{- with include "vigil.egress.otlp" . }}
{{ . }}
{{- end }}
{{- end -}}

{{/* Egress to the trace collector in the ops zone, when traces are exported. */}}
{{- define "vigil.egress.otlp" -}}
{{- if .Values.otlpEndpoint -}}
- to:
    {{- include "vigil.peer.ops" . | nindent 4 }}
  ports:
    {{- range .Values.networkPolicy.ops.otlpPorts }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end }}
{{- end -}}
