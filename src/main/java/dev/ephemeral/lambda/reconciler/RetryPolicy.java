package dev.ephemeral.lambda.reconciler;

import java.time.Duration;

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

  /** Delay before retry number {@code retry} (1-based): initial * 2^(retry-1), capped. */
  public Duration backoff(int retry) {
    Duration delay = initialBackoff;
    for (int i = 1; i < retry && delay.compareTo(maxBackoff) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
  }
}
