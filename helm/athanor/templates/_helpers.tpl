{{/* Chart name, overridable. */}}
{{- define "athanor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* RELEASE-CHART (or just RELEASE when it already contains the chart name), at most 63 characters. */}}
{{- define "athanor.fullname" -}}
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

{{/* Labels on every resource. */}}
{{- define "athanor.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "athanor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the member pods. */}}
{{- define "athanor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "athanor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: node
{{- end }}

{{/* The headless Service that gives each pod a stable DNS name. */}}
{{- define "athanor.headlessName" -}}
{{- printf "%s-peers" (include "athanor.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Comma-separated stable DNS names of pods 0..replicaCount-1, in ordinal order (the start script's peer list). */}}
{{- define "athanor.peers" -}}
{{- $full := include "athanor.fullname" . }}
{{- $headless := include "athanor.headlessName" . }}
{{- $peers := list }}
{{- range $i := until (int .Values.replicaCount) }}
{{- $peers = append $peers (printf "%s-%d.%s.%s.svc.%s" $full $i $headless $.Release.Namespace $.Values.clusterDomain) }}
{{- end }}
{{- join "," $peers }}
{{- end }}

{{- define "athanor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "athanor.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "athanor.tokenSecretName" -}}
{{- default (printf "%s-token" (include "athanor.fullname" .)) .Values.token.existingSecret }}
{{- end }}

{{/* The journal's Secret; installing without one is an error that says what to set. */}}
{{- define "athanor.journalSecretName" -}}
{{- if .Values.journal.existingSecret }}
{{- .Values.journal.existingSecret }}
{{- else if .Values.journal.connectionString }}
{{- printf "%s-journal" (include "athanor.fullname" .) }}
{{- else }}
{{- fail "journal: the cluster needs a PostgreSQL journal; set journal.existingSecret (a Secret with key journal.key holding the connection string) or journal.connectionString" }}
{{- end }}
{{- end }}

{{- define "athanor.claimName" -}}
{{- default (printf "%s-shared" (include "athanor.fullname" .)) .Values.storage.existingClaim }}
{{- end }}

{{/* --devices: explicit, else cuda with GPUs, else cpu:N. */}}
{{- define "athanor.devices" -}}
{{- if .Values.node.devices }}
{{- .Values.node.devices }}
{{- else if gt (int .Values.gpu.count) 0 }}
{{- "cuda" }}
{{- else }}
{{- printf "cpu:%d" (int .Values.node.cpuSlots) }}
{{- end }}
{{- end }}

{{- define "athanor.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The selector labels as a Kubernetes label selector (name=value,...), for API discovery. */}}
{{- define "athanor.labelSelector" -}}
{{- include "athanor.selectorLabels" . | replace ": " "=" | replace "\n" "," | replace "\"" "" }}
{{- end }}

{{/* Contact points that must answer before a new cluster is founded: the value, or min(replicaCount, 2). */}}
{{- define "athanor.requiredContactPoints" -}}
{{- if gt (int .Values.discovery.requiredContactPoints) 0 }}{{ .Values.discovery.requiredContactPoints }}{{ else }}{{ min (int .Values.replicaCount) 2 }}{{ end }}
{{- end }}
