{{/* Chart name, overridable. */}}
{{- define "athanor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
RELEASE-CHART (or just RELEASE when it already contains the chart name), at most 52 characters: the StatefulSet
is named so, and Kubernetes labels its revisions "NAME-HASH" (controller-revision-hash, up to 11 more characters,
a label value of at most 63), so a longer name gives a StatefulSet whose pods are never created. The suffixed
names (-peers, -token, -journal, -scripts, -pod-reader) stay within 63.
*/}}
{{- define "athanor.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
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

{{/* The headless Service's DNS name: it resolves to the address of every member, ready or not (dns discovery). */}}
{{- define "athanor.peerServiceDnsName" -}}
{{- printf "%s.%s.svc.%s" (include "athanor.headlessName" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/* Pod 0's stable DNS name, the member that founds the cluster with dns discovery. Neither name depends on
replicaCount, so scaling leaves the pod template (and so every running pod) as it is. */}}
{{- define "athanor.firstPodDnsName" -}}
{{- printf "%s-0.%s" (include "athanor.fullname" .) (include "athanor.peerServiceDnsName" .) }}
{{- end }}

{{/* The pods' service account: the release's own, a named one, or the namespace's "default" (bound to nothing). */}}
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

{{/* Whether the pods list pods through the Kubernetes API (and so need their service account's token). */}}
{{- define "athanor.usesKubernetesApi" -}}
{{- if eq .Values.discovery.method "kubernetes" }}true{{ end }}
{{- end }}

{{/* The selector labels as a Kubernetes label selector (name=value,...), for API discovery. */}}
{{- define "athanor.labelSelector" -}}
{{- include "athanor.selectorLabels" . | replace ": " "=" | replace "\n" "," | replace "\"" "" }}
{{- end }}

{{/* Contact points that must answer before a new cluster is founded: the value, or min(replicaCount, 2). */}}
{{- define "athanor.requiredContactPoints" -}}
{{- if gt (int .Values.discovery.requiredContactPoints) 0 }}{{ .Values.discovery.requiredContactPoints }}{{ else }}{{ min (int .Values.replicaCount) 2 }}{{ end }}
{{- end }}

{{/*
What the chart puts into its Secrets, hashed into the pod template so a change rolls the pods. The inputs are
hashed, not the Secrets' data: a generated token is random at install and kept across upgrades (lookup), so
hashing it would differ between renders; its inputs do not. A Secret named by existingSecret is not the chart's:
Helm cannot see its content (restart the pods after changing it: kubectl rollout restart statefulset NAME).
*/}}
{{- define "athanor.tokenChecksum" -}}
{{- printf "existing=%s key=%s value=%s" .Values.token.existingSecret .Values.token.key .Values.token.value | sha256sum }}
{{- end }}

{{- define "athanor.journalChecksum" -}}
{{- printf "existing=%s key=%s connection=%s" .Values.journal.existingSecret .Values.journal.key .Values.journal.connectionString | sha256sum }}
{{- end }}

{{/* Seconds the node drains after SIGTERM (ClusterNodeOptions.DrainTimeout, not a flag) and then may take to leave the cluster and exit (its host's shutdown timeout is the drain + 20 s). */}}
{{- define "athanor.drainSeconds" -}}60{{- end }}
{{- define "athanor.shutdownSeconds" -}}{{ add (include "athanor.drainSeconds" . | int) 20 }}{{- end }}

{{/* startupProbe failures allowed: the start time the values give, plus the dns start script's wait for pod 0. */}}
{{- define "athanor.startupFailureThreshold" -}}
{{- $seconds := int .Values.probes.startup.maxStartSeconds }}
{{- if eq .Values.discovery.method "dns" }}{{ $seconds = add $seconds (int .Values.node.seedWaitSeconds) }}{{ end }}
{{- $period := int .Values.probes.startup.periodSeconds }}
{{- max 1 (div (add $seconds (sub $period 1)) $period) }}
{{- end }}

{{/*
A Secret mounted read-only as a volume: the pattern for every credential a pod needs as files (the token today;
certificates later). Call with (dict "name" VOLUME "secret" SECRET "keys" (list KEY...)).
*/}}
{{- define "athanor.secretVolume" -}}
- name: {{ .name }}
  secret:
    secretName: {{ .secret }}
    defaultMode: 0440
    items:
      {{- range .keys }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
{{- end }}
