package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * What one reconcile concluded, for the one place that records it ({@link StatusRecorder}): the
 * next status, as a change of the current one; what to do once it is written; and whether to
 * decide again at once (a trigger came while a call ran).
 *
 * @param status the next status, from the current one and the reconcile's clock
 * @param afterWrite run once the status is written (or found to have nowhere to go), with the
 *     resource as last written
 */
record Outcome(StatusChange status, Consumer<LambdaInvocation> afterWrite, boolean redecideNow) {

  /** The next status, built from the current one (null before the first write). */
  @FunctionalInterface
  interface StatusChange {
    LambdaInvocationStatus apply(
        LambdaInvocation resource, LambdaInvocationStatus current, Instant now);
  }

  /** Nothing to record: the status stays as it is. */
  static final Outcome NONE = new Outcome((resource, current, now) -> current, r -> {}, false);

  static Outcome status(StatusChange change) {
    return new Outcome(change, r -> {}, false);
  }

  Outcome thenAfterWrite(Consumer<LambdaInvocation> action) {
    return new Outcome(status, afterWrite.andThen(action), redecideNow);
  }

  Outcome redecidingNow(boolean redecide) {
    return new Outcome(status, afterWrite, redecide);
  }
}
