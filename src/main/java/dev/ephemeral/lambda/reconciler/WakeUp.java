package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * When a resource needs its next reconcile, from its status alone: the next refresh, expiry, retry,
 * drop of the Secret's previous values or spec.onDelete attempt. Only times after the decision
 * that wrote the status count: one before it was acted on (or rightly not), and waking for it again
 * would spin. A time after the decision but already past when the status is written (a short
 * refresh interval, a slow write) wakes at once.
 */
final class WakeUp {

  /** Past the time itself, so the reconcile finds the time reached (the status has whole seconds). */
  static final Duration MARGIN = Duration.ofMillis(100);

  private WakeUp() {}

  /**
   * The delay until the next reconcile, if any is due.
   *
   * @param decidedAt the times up to this instant were decided on
   * @param now when the status is recorded
   */
  static Optional<Duration> after(LambdaInvocationStatus status, Instant decidedAt, Instant now) {
    if (status == null) {
      return Optional.empty();
    }
    // A refresh does not resend a request Lambda rejected until the spec changes.
    boolean rejected =
        status.getRejectedGeneration() != null
            && Objects.equals(status.getRejectedGeneration(), status.getObservedGeneration());
    boolean expired = status.hasReason(ReadyReason.Expired.name());
    return Stream.of(
            rejected ? null : status.getNextRefreshTime(),
            expired ? null : status.getExpiryTime(),
            status.getNextRetryTime(),
            status.getPreviousValuesExpiryTime(),
            status.getOnDelete() == null ? null : status.getOnDelete().getNextAttemptTime())
        .map(WakeUp::instant)
        .flatMap(Optional::stream)
        .filter(decidedAt::isBefore)
        .min(Instant::compareTo)
        .map(at -> at.isAfter(now) ? Duration.between(now, at).plus(MARGIN) : MARGIN);
  }

  /** An RFC 3339 time of the status; one that does not parse counts as none. */
  static Optional<Instant> instant(String rfc3339) {
    if (rfc3339 == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(rfc3339));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
