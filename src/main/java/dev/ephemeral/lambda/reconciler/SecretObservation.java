package dev.ephemeral.lambda.reconciler;

/** What the operator's Secret cache shows for the resource's target Secret. */
public enum SecretObservation {
  ABSENT,
  /** Controlled by the resource, data as the operator wrote it. */
  INTACT,
  /** Controlled by the resource, but its data no longer matches the recorded hash. */
  TAMPERED,
  /** Carries the operator's label but is controlled by something else. */
  FOREIGN
}
