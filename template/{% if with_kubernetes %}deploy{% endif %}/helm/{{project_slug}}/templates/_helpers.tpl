{{/* The release's objects are named <release>-<chart>, or <release> when it names the chart. */}}
{{- define "service.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "service.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "service.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "service.serviceAccountName" -}}
{{- if and (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) -}}
{{- fail "serviceAccount.create is false: name the existing ServiceAccount in serviceAccount.name" -}}
{{- end -}}
{{- default (include "service.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
The hook Jobs' ServiceAccount. An existing one (serviceAccount.create false) exists before the
hooks run: they use it, as the pods do. One the chart creates would only exist after them, so
the hooks get their own, made by a hook just before them with the same annotations (IRSA, EKS
Pod Identity, Workload Identity: let the cloud role trust both names).
*/}}
{{- define "service.hookServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- printf "%s-hooks" (include "service.serviceAccountName" .) | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- include "service.serviceAccountName" . -}}
{{- end -}}
{{- end -}}

{{- define "service.image" -}}
{{- printf "%s:%s" .repository (.tag | default .appVersion) -}}
{{- end -}}

{{/* Pods that run as Kubernetes' "restricted" Pod Security Standard requires. */}}
{{- define "service.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "service.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* The database URL: the Secret's whole URL, or one built for the pooler's host. */}}
{{- define "service.databaseEnv" -}}
{{- $db := .Values.database -}}
{{- if $db.pooler.enabled }}
- name: DB_USER
  valueFrom:
    secretKeyRef: {name: {{ $db.secretName }}, key: username}
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ $db.secretName }}, key: password}
- name: DB_NAME
  valueFrom:
    secretKeyRef: {name: {{ $db.secretName }}, key: dbname}
- name: DATABASE_URL
  value: {{ printf "postgresql://$(DB_USER):$(DB_PASSWORD)@%s:%d/$(DB_NAME)" $db.pooler.host (int $db.pooler.port) | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ $db.secretName }}, key: {{ $db.urlKey }}}
{{- end }}
{{- end -}}

{{/*
The connection budget. At the peak of a rolling update at full scale, every worker of every pod
holds a full pool, and so do pods still terminating (through their preStop sleep and drain: a
Deployment does not wait for them before starting the next), each with one more for readiness.
Without the pooler that must fit what PostgreSQL allows; with it, the pooler's own server
connections must.
*/}}
{{- define "service.checkConnectionBudget" -}}
{{- $db := .Values.database -}}
{{- if gt (int $db.poolMinSize) (int $db.poolMaxSize) -}}
{{- fail (printf "database.poolMinSize (%d) is above database.poolMaxSize (%d): every pod would fail to start. Lower the minimum or raise the maximum." (int $db.poolMinSize) (int $db.poolMaxSize)) -}}
{{- end -}}
{{- $available := sub $db.maxConnections $db.reservedConnections -}}
{{- if not $db.pooler.enabled -}}
{{- $pods := .Values.replicaCount -}}
{{- if .Values.autoscaling.enabled }}{{ $pods = .Values.autoscaling.maxReplicas }}{{ end -}}
{{- $peak := add $pods .Values.maxSurge $db.terminatingPods -}}
{{- $perPod := add (mul .Values.workers $db.poolMaxSize) 1 -}}
{{- $needed := mul $peak $perPod -}}
{{- if gt (int $needed) (int $available) -}}
{{- fail (printf "connection budget exceeded: %d pods (max replicas + maxSurge + database.terminatingPods) x (%d workers x %d connections (database.poolMaxSize) + 1 for readiness) = %d, but PostgreSQL allows %d (database.maxConnections %d - reservedConnections %d). Lower one of them, raise max_connections, or set database.pooler.enabled." (int $peak) (int .Values.workers) (int $db.poolMaxSize) (int $needed) (int $available) (int $db.maxConnections) (int $db.reservedConnections)) -}}
{{- end -}}
{{- else if gt (int $db.pooler.serverConnections) (int $available) -}}
{{- fail (printf "connection budget exceeded: the pooler may open %d server connections (database.pooler.serverConnections: its instances x default_pool_size), but PostgreSQL allows %d (database.maxConnections %d - reservedConnections %d)" (int $db.pooler.serverConnections) (int $available) (int $db.maxConnections) (int $db.reservedConnections)) -}}
{{- end -}}
{{- end -}}

{{/*
A Job run as a pre-install and pre-upgrade hook, before Helm creates or changes anything else: it
may use nothing the chart creates (`python -m stack chart` checks this). Takes a dict: root (the
chart's context), component, weight (hooks run in its order), job (backoffLimit,
activeDeadlineSeconds, ttlSecondsAfterFinished), command, env and envFrom.
*/}}
{{- define "service.hookJob" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "service.fullname" .root }}-{{ .component }}
  labels:
    {{- include "service.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: {{ .weight | quote }}
    # The previous run's Job is replaced, and a finished one kept (for its logs) until its TTL.
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: {{ .job.backoffLimit }}
  activeDeadlineSeconds: {{ .job.activeDeadlineSeconds }}
  ttlSecondsAfterFinished: {{ .job.ttlSecondsAfterFinished }}
  template:
    metadata:
      labels:
        {{- include "service.selectorLabels" .root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "service.hookServiceAccountName" .root }}
      automountServiceAccountToken: false
      {{- include "service.podPlacement" (dict "root" .root "indent" 6) }}
      securityContext:
        {{- include "service.podSecurityContext" .root | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "service.image" (dict "repository" .root.Values.image.repository "tag" .root.Values.image.tag "appVersion" .root.Chart.AppVersion) | quote }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          command: {{ toJson .command }}
          env:
            {{- toYaml .env | nindent 12 }}
          {{- with .envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 256Mi}
          securityContext:
            {{- include "service.containerSecurityContext" .root | nindent 12 }}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
      volumes:
        - name: tmp
          emptyDir: {}
{{- end }}

{{/*
Where a pod may run and what it may pull with, the same for every pod of the release (the API,
the UI, the hooks, the helm test pod): a private registry or a tainted node pool must not break
any of them. Indented for a pod spec at the given level: (dict "root" . "indent" 6).
*/}}
{{- define "service.podPlacement" -}}
{{- $values := .root.Values -}}
{{- range $field := list "imagePullSecrets" "nodeSelector" "tolerations" "affinity" }}
{{- with index $values $field }}
{{ printf "%s:" $field | indent $.indent }}
{{- toYaml . | nindent (add $.indent 2 | int) }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
A pod's stop: the preStop sleep (endpoints and load balancers stop sending to it), then uvicorn's
graceful shutdown (requests in flight finish), both inside terminationGracePeriodSeconds, after
which the kubelet kills it. A margin is kept for the process to exit.
*/}}
{{- define "service.shutdownMarginSeconds" -}}5{{- end -}}

{{- define "service.shutdownTimeoutSeconds" -}}
{{- sub (sub (int .Values.terminationGracePeriodSeconds) (int .Values.preStopSeconds)) (include "service.shutdownMarginSeconds" . | int) -}}
{{- end -}}

{{- define "service.checkShutdown" -}}
{{- $grace := int .Values.terminationGracePeriodSeconds -}}
{{- $preStop := int .Values.preStopSeconds -}}
{{- if lt $preStop 1 -}}
{{- fail "preStopSeconds must be at least 1: Kubernetes 1.31 and 1.32 reject a preStop sleep of 0, and without one a load balancer still sends to a stopping pod" -}}
{{- end -}}
{{- if lt (int (include "service.shutdownTimeoutSeconds" .)) 1 -}}
{{- fail (printf "preStopSeconds (%d) leaves no time in terminationGracePeriodSeconds (%d) for the graceful shutdown (at least 1 s, plus %s s to exit): raise the grace period or shorten the preStop sleep" $preStop $grace (include "service.shutdownMarginSeconds" .)) -}}
{{- end -}}
{{- end -}}

{{/*
The API's public URL (AUTH_RESOURCE, the RFC 9728 resource): auth.resource, else the host the
Ingress or the HTTPRoute serves (a wildcard names no one host), so that no client's Host header
decides what the metadata says. Always https: RFC 9728 resources are, and TLS may end before the
Ingress (a cloud load balancer) without tlsSecretName.
*/}}
{{- define "service.authResource" -}}
{{- if .Values.auth.resource -}}
{{- .Values.auth.resource -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "https://%s" .Values.ingress.host -}}
{{- else if .Values.httpRoute.enabled -}}
{{- range .Values.httpRoute.hostnames -}}
{{- if not (hasPrefix "*" .) -}}
{{- printf "https://%s " . -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
