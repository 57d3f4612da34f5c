package dev.ephemeral.lambda.customresource;

/**
 * The kinds of workload (apps/v1) a changed result can restart. Only its schema (an enum) is used
 * by the CRD; the field itself is a string, validated by the operator.
 */
public enum RolloutTargetKind {
  Deployment,
  StatefulSet,
  DaemonSet
}
