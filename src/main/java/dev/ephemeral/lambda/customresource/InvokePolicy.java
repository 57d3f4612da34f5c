package dev.ephemeral.lambda.customresource;

/**
 * Whether an operator start (or a leader takeover) invokes the function. Only its schema (an enum)
 * is used; the field itself is a string, validated by the operator.
 */
public enum InvokePolicy {
  /** An operator start or a leader takeover invokes every live resource once (the default). */
  EveryReconcile,
  /** Only a spec change, a Secret change, a refresh or an invoke request invokes. */
  OnChange;

  public static final InvokePolicy DEFAULT = EveryReconcile;
}
