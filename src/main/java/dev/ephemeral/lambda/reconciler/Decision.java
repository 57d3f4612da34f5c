package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.model.Trigger;
import java.time.Instant;
import java.util.Optional;

/** What a reconcile of a valid resource does. */
public sealed interface Decision {

  /** Invoke the function once. */
  record Invoke(Trigger trigger) implements Decision {}

  /** The Secret's ttl has passed: delete it and report Expired, without invoking. */
  record Retire() implements Decision {}

  /** Nothing to do; come back at {@code until} if set (refresh, expiry or retry time). */
  record Wait(Optional<Instant> until) implements Decision {}
}
