{{/* The chart's name, or nameOverride. */}}
{{- define "patron.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every resource name: the release name, with the chart name unless it already holds it.
     Kept to 40 characters so that "<prefix>-membership-renewal" stays a valid CronJob name. */}}
{{- define "patron.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "patron.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by every pod of the release (NetworkPolicies and the data chart select on them). */}}
{{- define "patron.instanceLabels" -}}
app.kubernetes.io/name: {{ include "patron.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "web"). */}}
{{- define "patron.selectorLabels" -}}
{{ include "patron.instanceLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every label of a resource: (dict "root" $ "component" "web"). */}}
{{- define "patron.labels" -}}
helm.sh/chart: {{ include "patron.chart" .root }}
{{ include "patron.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: patron
{{- end -}}

{{/* registry/repository:tag, with @digest when a digest is set; the tag defaults to appVersion. */}}
{{- define "patron.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag must be an exact version, not latest" -}}
{{- end -}}
{{- $image := printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag -}}
{{- if .Values.image.digest -}}
{{- $image = printf "%s@%s" $image .Values.image.digest -}}
{{- end -}}
{{- $image -}}
{{- end -}}

{{/* The media image, same form: (dict "root" $). Refused when it is wanted but not set. */}}
{{- define "patron.mediaImage" -}}
{{- $root := .root -}}
{{- $media := $root.Values.mediaImage -}}
{{- if not $media.repository -}}
{{- fail (printf "%s.useMediaImage needs mediaImage.repository (the image built with --target media)" .component) -}}
{{- end -}}
{{- $tag := default $root.Chart.AppVersion $media.tag -}}
{{- $image := printf "%s/%s:%s" $root.Values.image.registry $media.repository $tag -}}
{{- if $media.digest -}}
{{- $image = printf "%s@%s" $image $media.digest -}}
{{- end -}}
{{- $image -}}
{{- end -}}

{{- define "patron.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "patron.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* PATRON_PUBLIC_URL: config.publicUrl, or the first ingress host. */}}
{{- define "patron.publicUrl" -}}
{{- if .Values.config.publicUrl -}}
{{- .Values.config.publicUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) (first .Values.ingress.hosts) -}}
{{- end -}}
{{- end -}}

{{/* The credentials: values key, setting name (PATRON_<NAME>), file name under /etc/patron/secrets. */}}
{{- define "patron.secretSpecs" -}}
databaseUrl: DATABASE_URL
secretKey: SECRET_KEY
cacheUrl: CACHE_URL
smtpUrl: SMTP_URL
s3SecretAccessKey: S3_SECRET_ACCESS_KEY
gpwebpayPrivateKey: GPWEBPAY_PRIVATE_KEY
gpwebpayPrivateKeyPassword: GPWEBPAY_PRIVATE_KEY_PASSWORD
stripeSecretKey: STRIPE_SECRET_KEY
stripeWebhookSecret: STRIPE_WEBHOOK_SECRET
{{- end -}}

{{/* Refuses a credential given both ways. */}}
{{- define "patron.checkSecrets" -}}
{{- range $key, $setting := include "patron.secretSpecs" . | fromYaml -}}
{{- $secret := get $.Values.secrets $key -}}
{{- if and $secret.value $secret.existingSecret -}}
{{- fail (printf "secrets.%s: set value or existingSecret, not both" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The data of the Secret the chart makes from `value`s (key → base64). Empty when there is none. */}}
{{- define "patron.secretData" -}}
{{- range $key, $setting := include "patron.secretSpecs" . | fromYaml -}}
{{- $secret := get $.Values.secrets $key -}}
{{- if and $secret.value (not $secret.existingSecret) }}
{{ $secret.key }}: {{ $secret.value | b64enc | quote }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap's data: every non-secret setting that has a value. Text values are quoted:
     identifiers such as the merchant number stay the exact digits they were given. */}}
{{- define "patron.configData" -}}
{{- $c := .Values.config -}}
PATRON_LISTEN: {{ printf "0.0.0.0:%d" (int .Values.ports.http) | quote }}
PATRON_METRICS_LISTEN: {{ printf "0.0.0.0:%d" (int .Values.ports.metrics) | quote }}
PATRON_DATA_DIR: "/tmp/patron"
PATRON_LOG_FORMAT: {{ $c.logFormat | quote }}
PATRON_LOG_LEVEL: {{ $c.logLevel | quote }}
PATRON_DATABASE_MAX_CONNECTIONS: {{ int $c.databaseMaxConnections | toString | quote }}
PATRON_WORKER_CONCURRENCY: {{ int $c.workerConcurrency | toString | quote }}
PATRON_JOB_LEASE: {{ $c.jobLease | quote }}
PATRON_PAYMENT_SANDBOX: {{ $c.paymentSandbox | toString | quote }}
{{- with include "patron.publicUrl" . }}
PATRON_PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- with $c.storageUrl }}
PATRON_STORAGE_URL: {{ . | quote }}
{{- end }}
{{- with $c.s3AccessKeyId }}
PATRON_S3_ACCESS_KEY_ID: {{ . | quote }}
{{- end }}
{{- with $c.trustedProxies }}
PATRON_TRUSTED_PROXIES: {{ . | quote }}
{{- end }}
{{- with $c.mailFrom }}
PATRON_MAIL_FROM: {{ . | quote }}
{{- end }}
{{- with $c.otlpEndpoint }}
PATRON_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- with $c.renewalRetries }}
PATRON_RENEWAL_RETRIES: {{ . | quote }}
{{- end }}
{{- with $c.platformFee }}
PATRON_PLATFORM_FEE: {{ . | quote }}
{{- end }}
{{- with $c.payoutIban }}
PATRON_PAYOUT_IBAN: {{ . | quote }}
{{- end }}
{{- with $c.payoutName }}
PATRON_PAYOUT_NAME: {{ . | quote }}
{{- end }}
{{- with $c.payoutHold }}
PATRON_PAYOUT_HOLD: {{ . | quote }}
{{- end }}
{{- with $c.payoutMinimum }}
PATRON_PAYOUT_MINIMUM: {{ . | quote }}
{{- end }}
{{- with $c.sellerName }}
PATRON_SELLER_NAME: {{ . | quote }}
{{- end }}
{{- with $c.sellerAddress }}
PATRON_SELLER_ADDRESS: {{ . | quote }}
{{- end }}
{{- with $c.sellerCountry }}
PATRON_SELLER_COUNTRY: {{ . | quote }}
{{- end }}
{{- with $c.sellerVatId }}
PATRON_SELLER_VAT_ID: {{ . | quote }}
{{- end }}
{{- if $c.sellerOss }}
PATRON_SELLER_OSS: "true"
{{- end }}
{{- with $c.sellerSeries }}
PATRON_SELLER_SERIES: {{ . | quote }}
{{- end }}
{{- with $c.gpwebpayMerchantNumber }}
PATRON_GPWEBPAY_MERCHANT_NUMBER: {{ . | quote }}
{{- end }}
{{- with $c.gpwebpayUrl }}
PATRON_GPWEBPAY_URL: {{ . | quote }}
{{- end }}
{{- with $c.gpwebpayPublicKey }}
PATRON_GPWEBPAY_PUBLIC_KEY: {{ . | quote }}
{{- end }}
{{- with $c.gpwebpayWsUrl }}
PATRON_GPWEBPAY_WS_URL: {{ . | quote }}
{{- end }}
{{- with $c.gpwebpayProvider }}
PATRON_GPWEBPAY_PROVIDER: {{ . | quote }}
{{- end }}
{{- with $c.stripePublishableKey }}
PATRON_STRIPE_PUBLISHABLE_KEY: {{ . | quote }}
{{- end }}
{{- with $c.stripeApiBase }}
PATRON_STRIPE_API_BASE: {{ . | quote }}
{{- end }}
{{- with $c.stripeJsUrl }}
PATRON_STRIPE_JS_URL: {{ . | quote }}
{{- end }}
{{- /* The schedules are the chart's in both modes, so `patron jobs list` shows what runs; a
       disabled job gets a blank schedule, which turns it off in the embedded scheduler. */}}
{{- range $name, $job := .Values.scheduler.jobs }}
PATRON_SCHEDULE_{{ $name | upper | replace "-" "_" }}: {{ ternary $job.schedule "" $job.enabled | quote }}
{{- end }}
{{- range $name, $value := $c.extra }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* The pod-level security context every patron pod runs with. */}}
{{- define "patron.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The container-level security context of every container. */}}
{{- define "patron.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Pod spec fields shared by every pod: (dict "root" $ "serviceAccountName" name). */}}
{{- define "patron.podCommon" -}}
{{- $root := .root -}}
serviceAccountName: {{ .serviceAccountName | default (include "patron.serviceAccountName" $root) }}
# patron never calls the Kubernetes API: no token in the pod
automountServiceAccountToken: false
# Service environment variables would look like unknown PATRON_* settings to patron
enableServiceLinks: false
securityContext:
  {{- include "patron.podSecurityContext" $root | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod template metadata: (dict "root" $ "component" "web" ["annotations" dict]). The checksums roll the pods when a
     setting or a credential the chart holds changes. */}}
{{- define "patron.podMetadata" -}}
{{- $root := .root -}}
labels:
  {{- include "patron.labels" . | nindent 2 }}
  {{- with $root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include "patron.configData" $root | sha256sum }}
  checksum/secret: {{ include "patron.secretData" $root | sha256sum }}
  {{- with .annotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- with $root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* The settings of a patron container: (dict "root" $ "configMap" name ["env" list] ["envFromSecrets" list]).
     Non-secret settings from the ConfigMap, each credential as PATRON_<NAME>_FILE. */}}
{{- define "patron.settingsEnv" -}}
{{- $root := .root -}}
envFrom:
  - configMapRef:
      name: {{ .configMap }}
{{- range .envFromSecrets }}
  - secretRef:
      name: {{ . }}
{{- end }}
{{- $files := list -}}
{{- range $key, $setting := include "patron.secretSpecs" $root | fromYaml -}}
{{- $secret := get $root.Values.secrets $key -}}
{{- if or $secret.value $secret.existingSecret -}}
{{- $files = append $files (dict "name" (printf "PATRON_%s_FILE" $setting) "value" (printf "/etc/patron/secrets/%s" ($setting | lower | replace "_" "-"))) -}}
{{- end -}}
{{- end -}}
{{- $extra := concat $files (.env | default list) $root.Values.extraEnv -}}
{{- with $extra }}
env:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The volume of credentials: (dict "root" $ "secret" name of the chart's Secret). */}}
{{- define "patron.secretsVolume" -}}
{{- $root := .root -}}
{{- $chartSecret := .secret -}}
{{- $sources := list -}}
{{- range $key, $setting := include "patron.secretSpecs" $root | fromYaml -}}
{{- $secret := get $root.Values.secrets $key -}}
{{- if or $secret.value $secret.existingSecret -}}
{{- $name := ternary $secret.existingSecret $chartSecret (ne $secret.existingSecret "") -}}
{{- $path := $setting | lower | replace "_" "-" -}}
{{- $sources = append $sources (dict "secret" (dict "name" $name "items" (list (dict "key" $secret.key "path" $path)))) -}}
{{- end -}}
{{- end -}}
- name: secrets
  {{- if $sources }}
  projected:
    # 0440: readable by the pod's group (fsGroup), nobody else
    defaultMode: 288
    sources:
      {{- toYaml $sources | nindent 6 }}
  {{- else }}
  emptyDir:
    sizeLimit: 1Mi
  {{- end }}
{{- end -}}

{{/* Volume mounts of every patron container. */}}
{{- define "patron.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: secrets
  mountPath: /etc/patron/secrets
  readOnly: true
{{- end -}}

{{/* A CronJob's common spec fields: (dict "root" $ "schedule" s "startingDeadlineSeconds" n). */}}
{{- define "patron.cronJobPolicy" -}}
schedule: {{ .schedule | quote }}
timeZone: {{ .root.Values.scheduler.timeZone | quote }}
# one run at a time: a slow run is never piled on (patron's job lease makes an overlap safe too)
concurrencyPolicy: Forbid
startingDeadlineSeconds: {{ int .startingDeadlineSeconds }}
successfulJobsHistoryLimit: {{ int .root.Values.scheduler.successfulJobsHistoryLimit }}
failedJobsHistoryLimit: {{ int .root.Values.scheduler.failedJobsHistoryLimit }}
{{- end -}}

{{/* The PromQL selector of this release's scraped metrics. */}}
{{- define "patron.metricsSelector" -}}
namespace="{{ .Release.Namespace }}", job=~"{{ include "patron.fullname" . }}(-worker)?"
{{- end -}}

{{- define "patron.peers" -}}
{{- /* The `to`/`from` peers of one destination: an ipBlock per CIDR and one label selector. */ -}}
{{- $peers := list -}}
{{- range .cidrs -}}
{{- $peers = append $peers (dict "ipBlock" (dict "cidr" .)) -}}
{{- end -}}
{{- if or .namespaceLabels .podLabels -}}
{{- $peer := dict -}}
{{- if .namespaceLabels -}}{{- $_ := set $peer "namespaceSelector" (dict "matchLabels" .namespaceLabels) -}}{{- end -}}
{{- if .podLabels -}}{{- $_ := set $peer "podSelector" (dict "matchLabels" .podLabels) -}}{{- end -}}
{{- $peers = append $peers $peer -}}
{{- end -}}
{{- toYaml $peers -}}
{{- end -}}

{{- define "patron.egressRule" -}}
{{- /* One egress rule: (dict "target" values "protocols" list). Nothing when it has no ports. */ -}}
{{- $target := .target -}}
{{- if $target.ports }}
- ports:
    {{- range $port := $target.ports }}
    {{- range $protocol := $.protocols }}
    - port: {{ int $port }}
      protocol: {{ $protocol }}
    {{- end }}
    {{- end }}
  {{- if or $target.cidrs $target.namespaceLabels $target.podLabels }}
  to:
    {{- include "patron.peers" $target | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}
