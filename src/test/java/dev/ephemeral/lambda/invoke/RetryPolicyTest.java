package dev.ephemeral.lambda.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void backoffDoublesFromTheInitialDelay() {
    var policy =
        new RetryPolicy(Duration.ofSeconds(5), Duration.ofMinutes(5), 5, Duration.ofMinutes(5));

    assertThat(policy.backoff(1)).isEqualTo(Duration.ofSeconds(5));
    assertThat(policy.backoff(2)).isEqualTo(Duration.ofSeconds(10));
    assertThat(policy.backoff(3)).isEqualTo(Duration.ofSeconds(20));
    assertThat(policy.backoff(4)).isEqualTo(Duration.ofSeconds(40));
    assertThat(policy.backoff(5)).isEqualTo(Duration.ofSeconds(80));
  }

  @Test
  void backoffIsCappedAtTheMaximum() {
    var policy =
        new RetryPolicy(Duration.ofSeconds(3), Duration.ofSeconds(10), 5, Duration.ofMinutes(5));

    assertThat(policy.backoff(2)).isEqualTo(Duration.ofSeconds(6));
    assertThat(policy.backoff(3)).isEqualTo(Duration.ofSeconds(10));
    assertThat(policy.backoff(4)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void backoffStaysCappedForAnyNumberOfRetries() {
    assertThat(RetryPolicy.DEFAULT.backoff(7)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryPolicy.DEFAULT.backoff(1_000)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryPolicy.DEFAULT.backoff(Integer.MAX_VALUE)).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void backoffNeverShrinksAsRetriesGrow() {
    Duration previous = Duration.ZERO;
    for (int retry = 1; retry <= 20; retry++) {
      Duration delay = RetryPolicy.DEFAULT.backoff(retry);
      assertThat(delay).isGreaterThanOrEqualTo(previous).isLessThanOrEqualTo(Duration.ofMinutes(5));
      previous = delay;
    }
  }

  @Test
  void initialDelayAboveTheCapIsCapped() {
    var policy =
        new RetryPolicy(Duration.ofMinutes(10), Duration.ofMinutes(1), 3, Duration.ofMinutes(5));

    assertThat(policy.backoff(1)).isEqualTo(Duration.ofMinutes(1));
  }

  // --- after: what follows a failed invocation, all of it kept in the status

  private static final Instant WRITTEN_AT = Instant.parse("2026-11-26T10:00:00Z");
  private static final RetryPolicy POLICY =
      new RetryPolicy(Duration.ofSeconds(5), Duration.ofMinutes(5), 2, Duration.ofMinutes(3));

  @Test
  void retryTimeIsCountedFromWhenTheStatusIsWritten() {
    var retry = POLICY.after(failed(RetryClass.BACKOFF), Trigger.SPEC_CHANGED, null, WRITTEN_AT);

    assertThat(retry.nextRetryAt()).isEqualTo(WRITTEN_AT.plusSeconds(5));
    assertThat(retry.failedAttempts()).isEqualTo(1);
    assertThat(retry.note()).isEqualTo("; retry 1 of 2 at 2026-11-26T10:00:05Z");
  }

  @Test
  void aRetryContinuesTheCountKeptInTheStatus() {
    var status = new LambdaInvocationStatus();
    status.setFailedAttempts(1);

    var second = POLICY.after(failed(RetryClass.BACKOFF), Trigger.RETRY, status, WRITTEN_AT);
    assertThat(second.failedAttempts()).isEqualTo(2);
    assertThat(second.nextRetryAt()).isEqualTo(WRITTEN_AT.plusSeconds(10));

    status.setFailedAttempts(2);
    var third = POLICY.after(failed(RetryClass.BACKOFF), Trigger.RETRY, status, WRITTEN_AT);
    assertThat(third.nextRetryAt()).isNull();
    assertThat(third.note()).isEqualTo("; retries exhausted, waiting for the next trigger");
  }

  @Test
  void anotherTriggerStartsTheCountOver() {
    var status = new LambdaInvocationStatus();
    status.setFailedAttempts(2);

    var retry = POLICY.after(failed(RetryClass.BACKOFF), Trigger.SPEC_CHANGED, status, WRITTEN_AT);

    assertThat(retry.failedAttempts()).isEqualTo(1);
  }

  @Test
  void retryAfterLongerThanTheBackoffIsHonoured() {
    var throttled =
        new InvocationResult.Failed(
            ReadyReason.Throttled, RetryClass.THROTTLED, "throttled", Optional.of(Duration.ofSeconds(30)));

    assertThat(POLICY.after(throttled, Trigger.SPEC_CHANGED, null, WRITTEN_AT).nextRetryAt())
        .isEqualTo(WRITTEN_AT.plusSeconds(30));
  }

  @Test
  void slowRetriesAreScheduledAndKeptToo() {
    var retry = POLICY.after(failed(RetryClass.SLOW), Trigger.RETRY, null, WRITTEN_AT);

    assertThat(retry.nextRetryAt()).isEqualTo(WRITTEN_AT.plus(Duration.ofMinutes(3)));
    assertThat(retry.failedAttempts()).isEqualTo(1);
    assertThat(retry.rejectsGeneration()).isFalse();
  }

  @Test
  void aRejectedRequestWaitsForTheSpecToChange() {
    var retry = POLICY.after(failed(RetryClass.ON_SPEC_CHANGE), Trigger.SPEC_CHANGED, null, WRITTEN_AT);

    assertThat(retry.rejectsGeneration()).isTrue();
    assertThat(retry.nextRetryAt()).isNull();
    assertThat(retry.note()).isEqualTo("; not retried until the spec changes");
  }

  private static InvocationResult.Failed failed(RetryClass retry) {
    return new InvocationResult.Failed(ReadyReason.InvocationFailed, retry, "failed");
  }

  @Test
  void aRefreshOfAFailingFunctionWaitsForTheGrowingBackoff() {
    var status = new LambdaInvocationStatus();
    status.setFailedAttempts(5);

    var retry = POLICY.after(failed(RetryClass.BACKOFF), Trigger.REFRESH_DUE, status, WRITTEN_AT);

    assertThat(retry.failedAttempts()).isEqualTo(6);
    assertThat(retry.refreshHoldOff()).isEqualTo(POLICY.backoff(6));
    assertThat(POLICY.after(failed(RetryClass.SLOW), Trigger.SPEC_CHANGED, null, WRITTEN_AT).refreshHoldOff())
        .isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aRetryTimeIsRoundedUpToTheWholeSecondTheStatusShows() {
    var throttled =
        new InvocationResult.Failed(
            ReadyReason.Throttled, RetryClass.THROTTLED, "throttled", Optional.of(Duration.ofSeconds(30)));

    var retry =
        POLICY.after(throttled, Trigger.SPEC_CHANGED, null, WRITTEN_AT.plusMillis(250));

    assertThat(retry.nextRetryAt()).isEqualTo(WRITTEN_AT.plusSeconds(31));
  }

  @Test
  void aThrottledCallUsesUpNoRetryAndKeepsTheCountOfFailedInvocations() {
    var status = new LambdaInvocationStatus();
    // Past the bound of a function error: a throttled call did not run, so it is retried anyway.
    status.setFailedAttempts(POLICY.maxRetries() + 3);

    var retry = POLICY.after(throttled(), Trigger.RETRY, status, WRITTEN_AT);

    assertThat(retry.failedAttempts()).isEqualTo(POLICY.maxRetries() + 3);
    assertThat(retry.throttledAttempts()).isEqualTo(1);
    assertThat(retry.nextRetryAt()).isEqualTo(WRITTEN_AT.plus(POLICY.backoff(1)));
    assertThat(retry.note()).contains("a throttled call is retried until it runs");
    assertThat(retry.note()).doesNotContain("exhausted");
    assertThat(retry.stalls()).isFalse();
  }

  @Test
  void throttlesInARowGrowTheBackoffAndPastTheRetriesAskForAPersonWhileRetrying() {
    LambdaInvocationStatus status = null;
    for (int throttles = 1; throttles <= POLICY.maxRetries() + 2; throttles++) {
      var retry = POLICY.after(throttled(), Trigger.RETRY, status, WRITTEN_AT);

      assertThat(retry.throttledAttempts()).isEqualTo(throttles);
      assertThat(retry.nextRetryAt()).isEqualTo(WRITTEN_AT.plus(POLICY.backoff(throttles)));
      assertThat(retry.stalls()).isEqualTo(throttles > POLICY.maxRetries());
      if (throttles > POLICY.maxRetries()) {
        assertThat(retry.note()).contains("throttled " + throttles + " times in a row");
      }
      status = new LambdaInvocationStatus();
      status.setThrottledAttempts(retry.throttledAttempts());
    }
    // Another trigger (a spec change) starts the count over.
    assertThat(POLICY.after(throttled(), Trigger.SPEC_CHANGED, status, WRITTEN_AT).throttledAttempts())
        .isEqualTo(1);
  }

  @Test
  void aFirstThrottleCountsNoFailedInvocation() {
    var retry = POLICY.after(throttled(), Trigger.SPEC_CHANGED, null, WRITTEN_AT);

    assertThat(retry.failedAttempts()).isNull();
    assertThat(retry.nextRetryAt()).isEqualTo(WRITTEN_AT.plus(POLICY.initialBackoff()));
  }

  @Test
  void aFunctionErrorLeavesNoThrottleCount() {
    var status = new LambdaInvocationStatus();
    status.setThrottledAttempts(4);

    var retry = POLICY.after(failed(RetryClass.BACKOFF), Trigger.RETRY, status, WRITTEN_AT);

    assertThat(retry.throttledAttempts()).isNull();
    assertThat(retry.stalls()).isFalse();
  }

  private static InvocationResult.Failed throttled() {
    return new InvocationResult.Failed(ReadyReason.Throttled, RetryClass.THROTTLED, "throttled");
  }
}
