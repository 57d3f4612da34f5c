package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.invoke.InvocationResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Timing of automatic retries.
 *
 * @param initialBackoff delay before the first retry of a retryable failure
 * @param maxBackoff cap of the exponential backoff
 * @param maxRetries retries after the first failure, before waiting for a trigger
 * @param slowInterval delay between retries of failures whose fix lies outside the resource
 */
public record RetryPolicy(
    Duration initialBackoff, Duration maxBackoff, int maxRetries, Duration slowInterval) {

  public static final RetryPolicy DEFAULT =
      new RetryPolicy(Duration.ofSeconds(5), Duration.ofMinutes(5), 5, Duration.ofMinutes(5));

  /**
   * What follows a failed invocation; all of it is kept in the status, so a restarted operator
   * continues where this one stopped.
   *
   * @param note appended to the failure's message: when (or whether) it is retried
   * @param failedAttempts failed invocations in a row with backoff, null for the other classes
   * @param nextRetryAt when the next automatic retry is due, null when none is
   * @param rejectsGeneration whether the request was rejected until the spec changes
   */
  public record Retry(
      String note, Integer failedAttempts, Instant nextRetryAt, boolean rejectsGeneration) {}

  /** Delay before retry number {@code retry} (1-based): initial * 2^(retry-1), capped. */
  public Duration backoff(int retry) {
    Duration delay = initialBackoff;
    for (int i = 1; i < retry && delay.compareTo(maxBackoff) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
  }

  /**
   * The retry of {@code failed}, an attempt made for {@code trigger}, counted from {@code now} (the
   * moment the status is written, so the status never shows a retry time already past).
   */
  public Retry after(
      InvocationResult.Failed failed,
      Trigger trigger,
      LambdaInvocationStatus previous,
      Instant now) {
    return switch (failed.retry()) {
      case BACKOFF -> {
        int before =
            trigger == Trigger.RETRY && previous != null
                ? Optional.ofNullable(previous.getFailedAttempts()).orElse(0)
                : 0;
        int attempts = before + 1;
        if (attempts > maxRetries) {
          yield new Retry(
              "; retries exhausted, waiting for the next trigger", attempts, null, false);
        }
        Duration delay = backoff(attempts);
        Duration wait = failed.retryAfter().filter(d -> d.compareTo(delay) > 0).orElse(delay);
        Instant at = now.plus(wait);
        yield new Retry(
            "; retry " + attempts + " of " + maxRetries + " at " + StatusFactory.format(at),
            attempts,
            at,
            false);
      }
      case SLOW ->
          new Retry(
              "; retrying every " + slowInterval.toSeconds() + "s",
              null,
              now.plus(slowInterval),
              false);
      case ON_TRIGGER -> new Retry("; not retried until the next trigger", null, null, false);
      case ON_SPEC_CHANGE -> new Retry("; not retried until the spec changes", null, null, true);
    };
  }
}
