{{/* The name every object of the release carries: the release name when it names the chart. */}}
{{- define "hpa-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hpa-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hpa-operator.labels" -}}
{{ include "hpa-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "hpa-operator.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The APIServices this release registers, by name. */}}
{{- define "hpa-operator.apiServiceNames" -}}
{{- $names := list -}}
{{- if .Values.apiServices.customMetricsV1beta1 }}{{ $names = append $names "v1beta1.custom.metrics.k8s.io" }}{{ end -}}
{{- if .Values.apiServices.customMetricsV1beta2 }}{{ $names = append $names "v1beta2.custom.metrics.k8s.io" }}{{ end -}}
{{- if .Values.apiServices.externalMetricsV1beta1 }}{{ $names = append $names "v1beta1.external.metrics.k8s.io" }}{{ end -}}
{{- toJson $names -}}
{{- end -}}

{{/* --apiservice flags, only when not all three are registered (the operator's default). */}}
{{- define "hpa-operator.apiServiceArgs" -}}
{{- $names := include "hpa-operator.apiServiceNames" . | fromJsonArray -}}
{{- if lt (len $names) 3 }}
{{- range $names }}
- --apiservice={{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* cert-manager's CA injection annotation for the APIServices and the webhook. */}}
{{- define "hpa-operator.caInjection" -}}
{{- if .Values.certManager.enabled }}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/{{ include "hpa-operator.fullname" . }}-serving-cert
{{- end }}
{{- end -}}
