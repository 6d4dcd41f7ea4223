{{- define "brand-monitor.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "brand-monitor.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "brand-monitor.labels" -}}
app.kubernetes.io/name: {{ include "brand-monitor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "brand-monitor.selector" -}}
app.kubernetes.io/name: {{ include "brand-monitor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "brand-monitor.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secrets" (include "brand-monitor.fullname" .)) -}}
{{- end -}}
