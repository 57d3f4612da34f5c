package dev.ephemeral.lambda.reconciler;

/**
 * What the operator's Secret cache shows for one resource.
 *
 * @param target the Secret the current spec names
 * @param version identifies the target's state ("absent", or its resourceVersion), so that a
 *     Secret trigger acts once per state; null when unknown
 * @param writtenSecretPresent whether the Secret the status says holds the result (which may be an
 *     older name) still exists: its ttl runs while it does
 */
public record SecretState(SecretObservation target, String version, boolean writtenSecretPresent) {

  public static final String ABSENT = "absent";

  /** The target is also the written Secret, and its version is unknown. */
  public static SecretState of(SecretObservation target) {
    return new SecretState(
        target,
        null,
        target == SecretObservation.INTACT || target == SecretObservation.TAMPERED);
  }
}
