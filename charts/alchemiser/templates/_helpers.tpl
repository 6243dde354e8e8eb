{{/* Names, labels and images shared by the templates. */}}

{{- define "alchemiser.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-alchemiser, or the release name when it already contains the chart name. */}}
{{- define "alchemiser.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "alchemiser.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "alchemiser.labels" -}}
helm.sh/chart: {{ include "alchemiser.chart" . }}
{{ include "alchemiser.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: alchemiser
{{- end -}}

{{- define "alchemiser.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alchemiser.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "alchemiser.operatorSelectorLabels" -}}
{{ include "alchemiser.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "alchemiser.operatorServiceAccountName" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (printf "%s-operator" (include "alchemiser.fullname" .)) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- required "operator.serviceAccount.name is required when operator.serviceAccount.create is false" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "alchemiser.metricsServiceName" -}}
{{- printf "%s-metrics" (include "alchemiser.fullname" .) -}}
{{- end -}}

{{- define "alchemiser.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "alchemiser.workerImage" -}}
{{- $repository := default .Values.image.repository .Values.workers.image.repository -}}
{{- $tag := default (default .Chart.AppVersion .Values.image.tag) .Values.workers.image.tag -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}

{{- define "alchemiser.workerImagePullPolicy" -}}
{{- default .Values.image.pullPolicy .Values.workers.image.pullPolicy -}}
{{- end -}}

{{/* Namespaces that get a worker ServiceAccount: workers.namespaces, else operator.watchNamespaces. */}}
{{- define "alchemiser.workerNamespaces" -}}
{{- $namespaces := .Values.workers.namespaces | default .Values.operator.watchNamespaces -}}
{{- toJson $namespaces -}}
{{- end -}}

{{/* The Prometheus job label of the operator's scrape target. */}}
{{- define "alchemiser.metricsJob" -}}
{{- default (include "alchemiser.metricsServiceName" .) .Values.metrics.prometheusRule.job -}}
{{- end -}}
