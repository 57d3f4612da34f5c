package dev.ephemeral.lambda.invoke;

import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.model.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Timing of automatic retries.
 *
 * @param initialBackoff delay before the first retry of a retryable failure
 * @param maxBackoff cap of the exponential backoff
 * @param maxRetries retries after the first failure, before waiting for a trigger (a throttled
 *     call, which did not run, is retried until it runs and uses up none)
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
   * @param failedAttempts failed invocations in a row, retries and refreshes counting on
   * @param nextRetryAt when the next automatic retry is due, null when none is
   * @param rejectsGeneration whether the request was rejected until the spec changes
   * @param refreshHoldOff how long a periodic refresh waits at least after this failure: the
   *     backoff of {@code failedAttempts}, which grows up to its maximum, so a failing function
   *     with a short refreshInterval is not called at that pace
   */
  public record Retry(
      String note,
      Integer failedAttempts,
      Instant nextRetryAt,
      boolean rejectsGeneration,
      Duration refreshHoldOff,
      Integer throttledAttempts,
      boolean stalls) {

    /** Nothing follows: no retry, no count, no hold-off. */
    public static final Retry NONE = new Retry("", null, null, false, Duration.ZERO);

    /** A retry after a failed invocation (not a throttle): no throttle count, not stalled. */
    public Retry(
        String note,
        Integer failedAttempts,
        Instant nextRetryAt,
        boolean rejectsGeneration,
        Duration refreshHoldOff) {
      this(note, failedAttempts, nextRetryAt, rejectsGeneration, refreshHoldOff, null, false);
    }
  }

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
    // Retries and refreshes continue the count of the failure before them; any other trigger
    // (a spec change, an invoke request, a Secret change, a start) starts it over.
    boolean automatic = trigger == Trigger.RETRY || trigger == Trigger.REFRESH_DUE;
    int before =
        automatic && previous != null
            ? Optional.ofNullable(previous.getFailedAttempts()).orElse(0)
            : 0;
    int attempts = before + 1;
    Duration holdOff = backoff(attempts);
    return switch (failed.retry()) {
      case BACKOFF -> {
        if (attempts > maxRetries) {
          yield new Retry(
              "; retries exhausted, waiting for the next trigger", attempts, null, false, holdOff);
        }
        Duration wait = failed.retryAfter().filter(d -> d.compareTo(holdOff) > 0).orElse(holdOff);
        // A whole second, so it reads as the status's nextRetryTime shows it.
        Instant at = wholeSecondNotBefore(now.plus(wait));
        yield new Retry(
            "; retry " + attempts + " of " + maxRetries + " at " + at,
            attempts,
            at,
            false,
            wait);
      }
      case THROTTLED -> {
        // The function did not run: the count of failed invocations stays, no retry is used up,
        // and the call is retried until it runs. Its own count sets the backoff.
        int throttles =
            (automatic && previous != null
                    ? Optional.ofNullable(previous.getThrottledAttempts()).orElse(0)
                    : 0)
                + 1;
        Duration backoff = backoff(throttles);
        Duration wait = failed.retryAfter().filter(d -> d.compareTo(backoff) > 0).orElse(backoff);
        Instant at = wholeSecondNotBefore(now.plus(wait));
        boolean persistent = throttles > maxRetries;
        yield new Retry(
            persistent
                ? "; throttled "
                    + throttles
                    + " times in a row: retry at "
                    + at
                    + " (a throttled call is retried until it runs)"
                : "; retry at " + at + " (a throttled call is retried until it runs)",
            before == 0 ? null : before,
            at,
            false,
            wait,
            throttles,
            persistent);
      }
      case SLOW ->
          new Retry(
              "; retrying every " + slowInterval.toSeconds() + "s",
              attempts,
              wholeSecondNotBefore(now.plus(slowInterval)),
              false,
              holdOff);
      case ON_TRIGGER ->
          new Retry("; not retried until the next trigger", attempts, null, false, holdOff);
      case ON_SPEC_CHANGE ->
          new Retry("; not retried until the spec changes", attempts, null, true, holdOff);
    };
  }

  /**
   * The status shows times in whole seconds, and the next attempt is taken from the status: round
   * up, so that a retry never comes before its backoff or the service's Retry-After.
   */
  public static Instant wholeSecondNotBefore(Instant at) {
    Instant whole = at.truncatedTo(ChronoUnit.SECONDS);
    return whole.equals(at) ? at : whole.plusSeconds(1);
  }
}
