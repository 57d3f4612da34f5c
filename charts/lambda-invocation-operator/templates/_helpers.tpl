{{/*
The chart's name, and the name of every object it creates: the release name when it already
contains the chart's name (`helm install lambda-invocation-operator ...` gives the names of deploy/),
else "<release>-<chart>". Kubernetes names are at most 63 characters.
*/}}
{{- define "lambda-invocation-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "lambda-invocation-operator.fullname" -}}
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

{{- define "lambda-invocation-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The labels of every object: the chart's own, then commonLabels (which may not replace one of
them: the selector and Helm's bookkeeping rely on them).
*/}}
{{- define "lambda-invocation-operator.labels" -}}
{{- $own := dict
  "helm.sh/chart" (include "lambda-invocation-operator.chart" .)
  "app.kubernetes.io/name" (include "lambda-invocation-operator.name" .)
  "app.kubernetes.io/instance" .Release.Name
  "app.kubernetes.io/version" (.Chart.AppVersion | toString)
  "app.kubernetes.io/managed-by" .Release.Service
  "app.kubernetes.io/part-of" "lambda-invocation-operator" }}
{{- range $key, $_ := .Values.commonLabels }}
{{- if or (hasKey $own $key) (eq $key "app.kubernetes.io/component") }}
{{- fail (printf "commonLabels: %q is set by the chart and cannot be replaced" $key) }}
{{- end }}
{{- end }}
{{- toYaml (merge (dict) $own .Values.commonLabels) }}
{{- end }}

{{/* The labels that select the operator's pods: fixed for the life of a release. */}}
{{- define "lambda-invocation-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lambda-invocation-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The operator's instances, as JSON {"instances": [...]}: the one without a shard, then one per
entry of shards, each with its Deployment's name (fullname, or fullname-<shard>), its shard name
(empty for the first), its app.kubernetes.io/name label and its replicas. A shard's pods carry
app.kubernetes.io/name "<name>-<shard>", so no instance's Deployment, PodDisruptionBudget or
anti-affinity term selects another instance's pods (the first instance's selector stays the one
it had before any shard). Checked: shard names unique, that label at most 63 characters, and no
instance with more than one replica without leader election.
*/}}
{{- define "lambda-invocation-operator.instances" -}}
{{- $name := include "lambda-invocation-operator.name" . }}
{{- $fullname := include "lambda-invocation-operator.fullname" . }}
{{- $instances := list (dict "deployment" $fullname "shard" "" "name" $name "replicas" (int .Values.replicaCount)) }}
{{- $seen := dict }}
{{- range .Values.shards }}
{{- if hasKey $seen .name }}
{{- fail (printf "shards: %q is listed twice" .name) }}
{{- end }}
{{- $_ := set $seen .name true }}
{{- $label := printf "%s-%s" $name .name }}
{{- if gt (len $label) 63 }}
{{- fail (printf "shards: %q is too long: its pods' label app.kubernetes.io/name %q would be over 63 characters" .name $label) }}
{{- end }}
{{- $replicas := int (ternary .replicaCount $.Values.replicaCount (hasKey . "replicaCount")) }}
{{- $instances = append $instances (dict "deployment" (printf "%s-%s" $fullname .name) "shard" .name "name" $label "replicas" $replicas) }}
{{- end }}
{{- range $instances }}
{{- if and (not $.Values.leaderElection) (gt (int .replicas) 1) }}
{{- if .shard }}
{{- fail (printf "leaderElection: false needs replicaCount: 1 (shard %q has %d); without a leader every replica would invoke" .shard (int .replicas)) }}
{{- else }}
{{- fail "leaderElection: false needs replicaCount: 1; without a leader every replica would invoke" }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson (dict "instances" $instances) }}
{{- end }}

{{/* The labels that select one instance's pods (an entry of instances). */}}
{{- define "lambda-invocation-operator.instanceSelectorLabels" -}}
{{- $labels := include "lambda-invocation-operator.selectorLabels" .root | fromYaml }}
{{- $_ := set $labels "app.kubernetes.io/name" .instance.name }}
{{- toYaml $labels }}
{{- end }}

{{/* The image reference: repository, then @digest or :tag (the tag defaults to appVersion). */}}
{{- define "lambda-invocation-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/*
The rules the operator needs in every watched namespace: as a ClusterRole when it watches all of
them, as a Role in each one of watchNamespaces otherwise. The same rules as deploy/rbac.yaml and
deploy/namespaced/rbac.yaml (a test compares them).
  lambdainvocations             list, watch       its informer
  lambdainvocations/status      update            the status, written whole with the resourceVersion
  lambdainvocations/finalizers  update            blockOwnerDeletion on the Secrets' ownerReferences
                                                  (where OwnerReferencesPermissionEnforcement runs)
  secrets                       get, list, watch, create, update, delete   the result Secrets
  configmaps                    get, list, watch  spec.inputs read from ConfigMaps
  events                        create, patch     Events on LambdaInvocations (a repeat is counted by a patch)
  deployments, statefulsets,    patch             secret.rolloutRestartTargets (only with
  daemonsets                                      rolloutRestarts.enabled)
  namespaces                    get               the namespace's labels, for policies
*/}}
{{- define "lambda-invocation-operator.watchRules" -}}
- apiGroups: ["lambda.ephemeral.dev"]
  resources: ["lambdainvocations"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["lambda.ephemeral.dev"]
  resources: ["lambdainvocations/status"]
  verbs: ["update"]
- apiGroups: ["lambda.ephemeral.dev"]
  resources: ["lambdainvocations/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- if .Values.rolloutRestarts.enabled }}
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets", "daemonsets"]
  verbs: ["patch"]
{{- end }}
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get"]
{{- end }}

{{/* The watched namespaces, checked: names only, no duplicates. */}}
{{- define "lambda-invocation-operator.watchNamespaces" -}}
{{- $seen := dict }}
{{- range .Values.watchNamespaces }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (toString .)) }}
{{- fail (printf "watchNamespaces: %q is not a namespace name" (toString .)) }}
{{- end }}
{{- if hasKey $seen (toString .) }}
{{- fail (printf "watchNamespaces: %q is listed twice" (toString .)) }}
{{- end }}
{{- $_ := set $seen (toString .) true }}
{{- end }}
{{- join "," .Values.watchNamespaces }}
{{- end }}

{{/*
POLICY_MODE, checked: Enforce (the default: only what a LambdaInvocationPolicy allows is invoked)
or Off. Unquoted in YAML, Off reads as false, which means Off too.
*/}}
{{- define "lambda-invocation-operator.policyMode" -}}
{{- $mode := .Values.policyMode -}}
{{- if kindIs "bool" $mode -}}
{{- if $mode -}}
{{- fail "policyMode: true is neither Off nor Enforce (quote the value in YAML)" -}}
{{- end -}}
Off
{{- else if has (toString $mode) (list "Off" "Enforce") -}}
{{- toString $mode -}}
{{- else -}}
{{- fail (printf "policyMode: %q is neither Off nor Enforce (quote the value in YAML)" (toString $mode)) -}}
{{- end -}}
{{- end }}

{{/*
The ServiceAccount the operator runs as: the chart's (named fullname unless serviceAccount.name
says otherwise), or, with serviceAccount.create false, one you create, named in
serviceAccount.name. Never the namespace's "default": the RBAC below would grant every pod there
what the operator may do.
*/}}
{{- define "lambda-invocation-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lambda-invocation-operator.fullname" .) .Values.serviceAccount.name }}
{{- else if .Values.serviceAccount.name }}
{{- .Values.serviceAccount.name }}
{{- else }}
{{- fail "serviceAccount.name: name the ServiceAccount the operator runs as when serviceAccount.create is false (the namespace's default ServiceAccount is never used)" }}
{{- end }}
{{- end }}
