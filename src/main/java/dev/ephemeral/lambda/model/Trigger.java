package dev.ephemeral.lambda.model;

/** Why an invocation happens (docs/invocation.md). */
public enum Trigger {
  /** 1: created, or the spec changed (a new metadata.generation). */
  SPEC_CHANGED,
  /** 2: the Secret was deleted. */
  SECRET_DELETED,
  /** 2: the Secret's data was changed by someone else. */
  SECRET_CHANGED,
  /** 3: refreshInterval has passed. */
  REFRESH_DUE,
  /** 4: lambda.ephemeral.dev/invoke-requested-at has a new value. */
  INVOKE_REQUESTED,
  /** A value that spec.payloadFrom reads changed (or appeared) since the last invocation. */
  INPUTS_CHANGED,
  /** 5: the operator started (first reconcile of this resource in this process). */
  OPERATOR_STARTED,
  /** A retry of a failed invocation, as the error table allows. */
  RETRY,
  /** The resource is being deleted and has spec.onDelete: the call with its payload. */
  ON_DELETE,
  /** A policy now allows a resource that was NotAllowed: it is invoked once. */
  POLICY_ALLOWED
}
