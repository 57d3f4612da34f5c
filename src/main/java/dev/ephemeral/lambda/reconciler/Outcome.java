package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * What one reconcile concluded, for the one place that records it ({@link StatusRecorder}): the
 * next status, as a change of the current one; what to do once it is written; and which of the
 * status's times the next wake-up is taken from.
 *
 * @param status the next status, from the current one and the recording clock
 * @param afterWrite run once the status is written (or found to have nowhere to go), with the
 *     resource as last written
 */
record Outcome(StatusChange status, Consumer<LambdaInvocation> afterWrite, Wake wake) {

  /** The next status, built from the current one (null before the first write). */
  @FunctionalInterface
  interface StatusChange {
    LambdaInvocationStatus apply(
        LambdaInvocation resource, LambdaInvocationStatus current, Instant now);
  }

  /** Which times of the recorded status bring the resource back. */
  enum Wake {
    /**
     * The times after the moment the reconcile decided: one before it was acted on (or rightly
     * not), and waking for it again would spin.
     */
    AS_DECIDED,
    /**
     * Every time in the status: nothing was decided on them (a finished call was stored), so one
     * already past brings the resource back at once.
     */
    ALL_TIMES,
    /** At once: a trigger the stored call did not cover came while it ran. */
    NOW
  }

  /** Nothing to record: the status stays as it is. */
  static final Outcome NONE =
      new Outcome((resource, current, now) -> current, r -> {}, Wake.AS_DECIDED);

  static Outcome status(StatusChange change) {
    return new Outcome(change, r -> {}, Wake.AS_DECIDED);
  }

  Outcome thenAfterWrite(Consumer<LambdaInvocation> action) {
    return new Outcome(status, afterWrite.andThen(action), wake);
  }

  Outcome waking(Wake when) {
    return new Outcome(status, afterWrite, when);
  }
}
