{{/* Names and labels shared by every template. */}}

{{- define "hotline-pulse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hotline-pulse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hotline-pulse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hotline-pulse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hotline-pulse.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hotline-pulse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hotline-pulse
{{- end }}

{{/* The ConfigMap with assessment.toml and units.toml. */}}
{{- define "hotline-pulse.configMapName" -}}
{{- default (printf "%s-config" (include "hotline-pulse.fullname" .)) .Values.config.existingConfigMap }}
{{- end }}

{{/* The Secret with the librdkafka properties file, if any. */}}
{{- define "hotline-pulse.kafkaSecretName" -}}
{{- if .Values.kafka.credentials.existingSecret }}
{{- .Values.kafka.credentials.existingSecret }}
{{- else if .Values.kafka.credentials.create }}
{{- printf "%s-kafka" (include "hotline-pulse.fullname" .) }}
{{- end }}
{{- end }}

{{- define "hotline-pulse.scheme" -}}
{{- if .Values.webConfig.tls }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}
