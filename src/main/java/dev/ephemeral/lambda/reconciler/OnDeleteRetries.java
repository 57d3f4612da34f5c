package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.OnDeleteStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryClass;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What follows a failed call of spec.onDelete, from the failure, where the retries stand (kept in
 * status.onDelete) and the clock alone: another attempt at a time, or giving up. Pure.
 */
final class OnDeleteRetries {

  /** What follows a failure. */
  sealed interface Next {}

  /** Try again; {@code status} records the attempt count and when. */
  record RetryAt(OnDeleteStatus status) implements Next {}

  /** Give up the call; {@code why} says so, without data of the response. */
  record GiveUp(String why) implements Next {}

  private OnDeleteRetries() {}

  /**
   * @param namespaceTerminating asked only when a retry is otherwise due: in a namespace being
   *     deleted a failed call is not retried
   */
  static Next afterFailure(
      InvocationResult.Failed failed,
      OnDeleteStatus state,
      RetryPolicy retryPolicy,
      BooleanSupplier namespaceTerminating,
      Instant now) {
    String failure = failed.reason() + ": " + failed.message();
    if (!retryable(failed)) {
      return new GiveUp("the onDelete call failed (" + failure + ")");
    }
    int count = Optional.ofNullable(state.getFailedAttempts()).orElse(0) + 1;
    if (count > retryPolicy.maxRetries()) {
      return new GiveUp(
          "the onDelete call failed ("
              + failure
              + ") and its "
              + retryPolicy.maxRetries()
              + " retries are spent");
    }
    if (namespaceTerminating.getAsBoolean()) {
      return new GiveUp(
          "the onDelete call failed (" + failure + ") and the namespace is being deleted");
    }
    Instant at = RetryPolicy.wholeSecondNotBefore(now.plus(waitBefore(count, failed, retryPolicy)));
    return new RetryAt(new OnDeleteStatus(count, StatusFactory.format(at), failure, null));
  }

  /**
   * The backoff of retry {@code count}; a longer Retry-After is honoured up to the backoff of the
   * last retry, so the finalizer is released within a bounded time.
   */
  static Duration waitBefore(int count, InvocationResult.Failed failed, RetryPolicy retryPolicy) {
    Duration backoff = retryPolicy.backoff(count);
    Duration longest = retryPolicy.backoff(retryPolicy.maxRetries());
    Duration asked = failed.retryAfter().orElse(Duration.ZERO);
    if (asked.compareTo(longest) > 0) {
      asked = longest;
    }
    return asked.compareTo(backoff) > 0 ? asked : backoff;
  }

  /**
   * Failures a retry may fix. Not retried: a function that does not exist, a request Lambda
   * rejects, and failures after which the function ran and a rerun only repeats it.
   */
  private static boolean retryable(InvocationResult.Failed failed) {
    if (failed.reason() == ReadyReason.FunctionNotFound) {
      return false;
    }
    return failed.retry() == RetryClass.BACKOFF
        || failed.retry() == RetryClass.THROTTLED
        || failed.retry() == RetryClass.SLOW;
  }
}
