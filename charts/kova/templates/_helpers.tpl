{{/* Common names and labels. */}}
{{- define "kova.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kova.labels" -}}
app.kubernetes.io/part-of: kova
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: include "kova.selector" (list . "operator") */}}
{{- define "kova.selector" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: kova-{{ index . 1 }}
app.kubernetes.io/instance: {{ $.Release.Name }}
{{- end -}}

{{/* A component's name (Deployment, ServiceAccount, ...): include "kova.name" (list . "operator") */}}
{{- define "kova.name" -}}
{{- printf "%s-%s" (include "kova.fullname" (index . 0)) (index . 1) -}}
{{- end -}}

{{/* A component's image: include "kova.image" (list . .Values.operator.image) */}}
{{- define "kova.image" -}}
{{- $ := index . 0 -}}
{{- printf "%s/%s:%s" $.Values.image.registry (index . 1) (default $.Chart.AppVersion $.Values.image.tag) -}}
{{- end -}}
