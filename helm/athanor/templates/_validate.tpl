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
{{- if and .Values.rbac.create (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) }}
{{- fail "serviceAccount.name is empty with serviceAccount.create=false and rbac.create=true: the Role would be bound to the namespace's \"default\" service account, which every other pod there uses; name the account to bind (serviceAccount.name), or set rbac.create=false" }}
{{- end }}
{{- end }}
