package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.OnDeleteStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryClass;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What follows a failed spec.onDelete call: bounded retries kept in the status, or giving up. */
class OnDeleteRetriesTest {

  private static final Instant NOW = Instant.parse("2026-12-07T10:00:00.400Z");
  private static final RetryPolicy POLICY =
      new RetryPolicy(Duration.ofSeconds(5), Duration.ofMinutes(5), 3, Duration.ofMinutes(5));

  private static final InvocationResult.Failed FUNCTION_ERROR =
      new InvocationResult.Failed(
          ReadyReason.FunctionError, RetryClass.BACKOFF, "the function returned an error");

  @Test
  void aRetryableFailureIsRetriedAfterItsBackoffCountedInTheStatus() {
    var next = afterFailure(FUNCTION_ERROR, new OnDeleteStatus(), false);

    assertThat(next)
        .isEqualTo(
            new OnDeleteRetries.RetryAt(
                new OnDeleteStatus(
                    1,
                    "2026-12-07T10:00:06Z",
                    "FunctionError: the function returned an error",
                    null)));
  }

  @Test
  void aRestartContinuesTheCountFromTheStatus() {
    var next =
        afterFailure(FUNCTION_ERROR, new OnDeleteStatus(2, "2026-12-07T09:59:00Z", "x", null), false);

    // Retry 3: 5s doubled twice.
    assertThat(((OnDeleteRetries.RetryAt) next).status().getFailedAttempts()).isEqualTo(3);
    assertThat(((OnDeleteRetries.RetryAt) next).status().getNextAttemptTime())
        .isEqualTo("2026-12-07T10:00:21Z");
  }

  @Test
  void spentRetriesAreGivenUp() {
    var next =
        afterFailure(FUNCTION_ERROR, new OnDeleteStatus(3, "2026-12-07T09:59:00Z", "x", null), false);

    assertThat(next)
        .isInstanceOfSatisfying(
            OnDeleteRetries.GiveUp.class,
            g -> assertThat(g.why()).contains("FunctionError").contains("3 retries are spent"));
  }

  @Test
  void failuresNoRetryFixesAreGivenUpAtOnce() {
    for (var failed :
        new InvocationResult.Failed[] {
          new InvocationResult.Failed(ReadyReason.FunctionNotFound, RetryClass.SLOW, "not found"),
          new InvocationResult.Failed(ReadyReason.InvocationFailed, RetryClass.ON_SPEC_CHANGE, "400"),
          new InvocationResult.Failed(ReadyReason.InvocationFailed, RetryClass.ON_TRIGGER, "ran")
        }) {
      assertThat(afterFailure(failed, new OnDeleteStatus(), false))
          .isInstanceOfSatisfying(
              OnDeleteRetries.GiveUp.class,
              g -> assertThat(g.why()).startsWith("the onDelete call failed (" + failed.reason()));
    }
  }

  @Test
  void aSlowFailureSuchAsAccessDeniedIsRetriedLikeAnyTransientOne() {
    var denied =
        new InvocationResult.Failed(ReadyReason.AccessDenied, RetryClass.SLOW, "not authorized");
    assertThat(afterFailure(denied, new OnDeleteStatus(), false))
        .isInstanceOf(OnDeleteRetries.RetryAt.class);
  }

  @Test
  void inANamespaceBeingDeletedAFailedCallIsNotRetried() {
    assertThat(afterFailure(FUNCTION_ERROR, new OnDeleteStatus(), true))
        .isInstanceOfSatisfying(
            OnDeleteRetries.GiveUp.class,
            g -> assertThat(g.why()).contains("the namespace is being deleted"));
  }

  @Test
  void aRetryAfterIsHonouredUpToTheLongestBackoffOfTheRetries() {
    var throttled =
        new InvocationResult.Failed(
            ReadyReason.Throttled,
            RetryClass.THROTTLED,
            "Rate exceeded",
            Optional.of(Duration.ofHours(1)));
    var moderately =
        new InvocationResult.Failed(
            ReadyReason.Throttled, RetryClass.THROTTLED, "Rate exceeded", Optional.of(Duration.ofSeconds(12)));

    // The longest backoff of 3 retries is 20s: an hour asked becomes 20s, 12s stays 12s.
    assertThat(OnDeleteRetries.waitBefore(1, throttled, POLICY)).isEqualTo(Duration.ofSeconds(20));
    assertThat(OnDeleteRetries.waitBefore(1, moderately, POLICY)).isEqualTo(Duration.ofSeconds(12));
    assertThat(OnDeleteRetries.waitBefore(3, moderately, POLICY)).isEqualTo(Duration.ofSeconds(20));
  }

  private static OnDeleteRetries.Next afterFailure(
      InvocationResult.Failed failed, OnDeleteStatus state, boolean terminating) {
    return OnDeleteRetries.afterFailure(failed, state, POLICY, () -> terminating, NOW);
  }
}
