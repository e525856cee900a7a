{{/*
The certificates of the wire: which Secret each TLS setting reads, the generated remoting certificates, and the
checksums that roll the pods when they change. docs/operations.md ("The wire") tells the sources and rotation.
*/}}

{{/* Where the pods find the files: each Secret is one read-only volume (athanor.secretVolume). */}}
{{- define "athanor.remotingTlsDir" -}}/etc/athanor/remoting-tls{{- end }}
{{- define "athanor.grpcTlsDir" -}}/etc/athanor/grpc-tls{{- end }}
{{- define "athanor.grpcClientCaDir" -}}/etc/athanor/grpc-client-ca{{- end }}

{{/* Whether the chart makes the remoting certificates itself (no existing Secret, no cert-manager). */}}
{{- define "athanor.remotingTlsGenerates" -}}
{{- with .Values.tls.remoting }}{{ if and .enabled (not .existingSecret) (not .certManager.enabled) }}true{{ end }}{{ end }}
{{- end }}

{{/* The remoting Secret: the existing one, else the one cert-manager or the chart fills (FULL-remoting, at most 61 characters). */}}
{{- define "athanor.remotingTlsSecretName" -}}
{{- default (printf "%s-remoting" (include "athanor.fullname" .)) .Values.tls.remoting.existingSecret }}
{{- end }}

{{/* The gRPC server certificate's Secret: the existing one, else cert-manager's. */}}
{{- define "athanor.grpcTlsSecretName" -}}
{{- default (printf "%s-grpc-tls" (include "athanor.fullname" .)) .Values.tls.grpc.existingSecret }}
{{- end }}

{{/*
The generated remoting certificates, as JSON of the Secret's base64 data (tls.crt, tls.key, ca.crt, ca.key):
  - the existing Secret's, when it has them and was made for the same tls.remoting.generated.rotation (kept across
    upgrades, as the generated token is);
  - a new member certificate signed by the kept CA, when the rotation value changed (old and new members trust each
    other, so the pods roll without splitting the cluster);
  - else a new self-signed CA and a member certificate signed by it.
Computed once per render and cached in .Release, which Helm's engine shares between the templates of a release, so the
Secret and the pods' checksum see the same certificates. ca.key stays in the Secret for the rotation; it is never
mounted (the pods' volume lists tls.crt, tls.key and ca.crt only).
*/}}
{{- define "athanor.remotingTlsGenerated" -}}
{{- $full := include "athanor.fullname" . }}
{{- $cacheKey := printf "athanorRemotingTls-%s" $full }}
{{- if not (hasKey .Release $cacheKey) }}
{{- $gen := .Values.tls.remoting.generated }}
{{- $days := int $gen.validityDays }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "athanor.remotingTlsSecretName" .) }}
{{- $old := $existing.data | default dict }}
{{- $oldRotation := dig "metadata" "annotations" "athanor.dev/rotation" "" $existing }}
{{- $data := dict }}
{{- if and (index $old "ca.crt") (index $old "tls.crt") (index $old "tls.key") (eq $oldRotation (toString $gen.rotation)) }}
{{- $data = pick $old "tls.crt" "tls.key" "ca.crt" "ca.key" }}
{{- else if and (index $old "ca.crt") (index $old "ca.key") }}
{{- $ca := buildCustomCert (index $old "ca.crt") (index $old "ca.key") }}
{{- $member := genSignedCert (printf "%s-member" $full) nil nil $days $ca }}
{{- $data = dict "tls.crt" ($member.Cert | b64enc) "tls.key" ($member.Key | b64enc) "ca.crt" (index $old "ca.crt") "ca.key" (index $old "ca.key") }}
{{- else }}
{{- $ca := genCA (printf "%s-ca" $full) $days }}
{{- $member := genSignedCert (printf "%s-member" $full) nil nil $days $ca }}
{{- $data = dict "tls.crt" ($member.Cert | b64enc) "tls.key" ($member.Key | b64enc) "ca.crt" ($ca.Cert | b64enc) "ca.key" ($ca.Key | b64enc) }}
{{- end }}
{{- $_ := set .Release $cacheKey $data }}
{{- end }}
{{- index .Release $cacheKey | toJson }}
{{- end }}

{{/*
Hashed into the pod template so a new certificate rolls the pods. The chart's own certificates are hashed (they are
kept across upgrades, so the hash changes only when they do); a Secret the chart does not fill (existingSecret,
cert-manager's) is invisible to Helm, so its inputs are hashed and a renewal needs a restart (docs/operations.md).
*/}}
{{- define "athanor.remotingTlsChecksum" -}}
{{- if include "athanor.remotingTlsGenerates" . }}
{{- $data := include "athanor.remotingTlsGenerated" . | fromJson }}
{{- printf "%s%s" (index $data "ca.crt") (index $data "tls.crt") | sha256sum }}
{{- else }}
{{- with .Values.tls.remoting }}
{{- printf "enabled=%v existing=%s certManager=%v issuer=%v" .enabled .existingSecret .certManager.enabled .certManager.issuerRef | sha256sum }}
{{- end }}
{{- end }}
{{- end }}

{{- define "athanor.grpcTlsChecksum" -}}
{{- with .Values.tls.grpc }}
{{- printf "enabled=%v existing=%s certManager=%v issuer=%v dns=%v clientCa=%s/%s" .enabled .existingSecret .certManager.enabled .certManager.issuerRef .certManager.dnsNames .clientCa.existingSecret .clientCa.key | sha256sum }}
{{- end }}
{{- end }}

{{/* The DNS names of the gRPC Service inside the cluster (comma-separated), which a cert-manager server certificate always carries. */}}
{{- define "athanor.grpcServiceDnsNames" -}}
{{- $full := include "athanor.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $full (printf "%s.%s" $full $ns) (printf "%s.%s.svc" $full $ns) (printf "%s.%s.svc.%s" $full $ns .Values.clusterDomain) | join "," }}
{{- end }}
