{{/*
Checks across values that values.schema.json cannot express; each failure names the values and what is accepted.
Included once, by statefulset.yaml.
*/}}
{{- define "athanor.validate" -}}
{{- $replicas := int .Values.replicaCount }}
{{- if and (gt $replicas 1) (not (has "ReadWriteMany" .Values.storage.accessModes)) (not .Values.storage.existingClaim) }}
{{- fail "storage.accessModes: more than one member share the checkpoint volume, so it must include ReadWriteMany" }}
{{- end }}
{{- $required := int .Values.discovery.requiredContactPoints }}
{{- if gt $required $replicas }}
{{- fail (printf "discovery.requiredContactPoints=%d is more than replicaCount=%d: no cluster would ever be founded; set it to at most %d, or 0 for min(replicaCount, 2)" $required $replicas $replicas) }}
{{- end }}
{{- $grace := int .Values.terminationGracePeriodSeconds }}
{{- $shutdown := include "athanor.shutdownSeconds" . | int }}
{{- if lt $grace $shutdown }}
{{- fail (printf "terminationGracePeriodSeconds=%d is shorter than the node's shutdown (its drain timeout of %s s for the ranks' checkpoint, then up to 20 s to leave the cluster): set at least %d" $grace (include "athanor.drainSeconds" .) $shutdown) }}
{{- end }}
{{- $gpu := .Values.gpu.resourceName }}
{{- range $kind := list "requests" "limits" }}
{{- $given := index ($.Values.resources | default dict) $kind | default dict }}
{{- if hasKey $given $gpu }}
{{- fail (printf "resources.%s.%s=%v: GPUs are set by gpu.count (now %d), which fills both requests and limits; remove %s from resources.%s and set gpu.count instead" $kind $gpu (index $given $gpu) (int $.Values.gpu.count) $gpu $kind) }}
{{- end }}
{{- end }}
{{- include "athanor.validateTls" . }}
{{- include "athanor.validateConsole" . }}
{{- if and .Values.rbac.create (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) }}
{{- fail "serviceAccount.name is empty with serviceAccount.create=false and rbac.create=true: the Role would be bound to the namespace's \"default\" service account, which every other pod there uses; name the account to bind (serviceAccount.name), or set rbac.create=false" }}
{{- end }}
{{- end }}

{{/* The certificate settings: one source per Secret, an issuer for cert-manager, no token in plaintext beyond the cluster. */}}
{{- define "athanor.validateTls" -}}
{{- with .Values.tls.remoting }}
{{- if and .enabled .existingSecret .certManager.enabled }}
{{- fail (printf "tls.remoting: existingSecret=%s and certManager.enabled=true are two sources for one Secret; set one of them" .existingSecret) }}
{{- end }}
{{- if and .enabled .certManager.enabled (not .certManager.issuerRef.name) }}
{{- fail "tls.remoting.certManager.issuerRef.name is empty: name the cert-manager Issuer or ClusterIssuer (a CA issuer, which puts ca.crt into the Secret) that signs the member certificate" }}
{{- end }}
{{- end }}
{{- with .Values.tls.grpc }}
{{- if .enabled }}
{{- if and .existingSecret .certManager.enabled }}
{{- fail (printf "tls.grpc: existingSecret=%s and certManager.enabled=true are two sources for one Secret; set one of them" .existingSecret) }}
{{- end }}
{{- if not (or .existingSecret .certManager.enabled) }}
{{- fail "tls.grpc.enabled=true needs a certificate: set tls.grpc.existingSecret (a Secret with tls.crt and tls.key) or tls.grpc.certManager.enabled=true with an issuerRef" }}
{{- end }}
{{- if and .certManager.enabled (not .certManager.issuerRef.name) }}
{{- fail "tls.grpc.certManager.issuerRef.name is empty: name the cert-manager Issuer or ClusterIssuer that signs the gRPC server certificate" }}
{{- end }}
{{- else if .clientCa.existingSecret }}
{{- fail (printf "tls.grpc.clientCa.existingSecret=%s needs tls.grpc.enabled=true: client certificates are asked for only over TLS" .clientCa.existingSecret) }}
{{- end }}
{{- end }}
{{- $type := .Values.service.type }}
{{- if and (has $type (list "LoadBalancer" "NodePort")) (not .Values.tls.grpc.enabled) (not .Values.tls.grpc.allowPlaintext) }}
{{- fail (printf "service.type=%s exposes gRPC beyond the cluster, and the bearer token would travel in plaintext: set tls.grpc.enabled=true (with tls.grpc.existingSecret or tls.grpc.certManager), or tls.grpc.allowPlaintext=true to accept plaintext on a network you trust" $type) }}
{{- end }}
{{- end }}

{{/* The console's Ingress: a Service behind it, TLS at it (the login token crosses the network), and a way through the NetworkPolicy. */}}
{{- define "athanor.validateConsole" -}}
{{- with .Values.console.ingress }}
{{- if .enabled }}
{{- if not $.Values.console.service.enabled }}
{{- fail "console.ingress.enabled=true needs console.service.enabled=true: the Ingress routes to that Service" }}
{{- end }}
{{- if or (not .host) (not .tlsSecretName) }}
{{- fail (printf "console.ingress: host=%q and tlsSecretName=%q: both are required, since the node serves plain HTTP and the login token must not cross the network in plaintext; name the host and the kubernetes.io/tls Secret for it" .host .tlsSecretName) }}
{{- end }}
{{- if and $.Values.networkPolicy.enabled (not $.Values.networkPolicy.consoleFrom) }}
{{- fail "networkPolicy.consoleFrom is empty with console.ingress.enabled=true: the NetworkPolicy would keep the ingress controller from the http port; list its pods (e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]), or set networkPolicy.enabled=false" }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
