{{/* The chart's name, or nameOverride. */}}
{{- define "patron-data.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every resource name: the release name, with the chart name unless it already holds it. */}}
{{- define "patron-data.fullname" -}}
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

{{- define "patron-data.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the pods; they never change over the release's life. */}}
{{- define "patron-data.selectorLabels" -}}
app.kubernetes.io/name: {{ include "patron-data.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{- define "patron-data.labels" -}}
helm.sh/chart: {{ include "patron-data.chart" . }}
{{ include "patron-data.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: patron
{{- end -}}

{{/* registry/repository:tag, with @digest when a digest is set. */}}
{{- define "patron-data.image" -}}
{{- $image := printf "%s/%s:%s" .Values.image.registry .Values.image.repository .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- $image = printf "%s@%s" $image .Values.image.digest -}}
{{- end -}}
{{- $image -}}
{{- end -}}

{{- define "patron-data.claimName" -}}
{{- default (printf "%s-data" (include "patron-data.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}
