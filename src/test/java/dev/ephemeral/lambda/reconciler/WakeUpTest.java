package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.InvocationCondition;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.OnDeleteStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The next reconcile is computed once, from the status just recorded. */
class WakeUpTest {

  private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

  @Test
  void noStatusAndNoTimesMeanNoWakeUp() {
    assertThat(WakeUp.after(null, NOW, NOW)).isEmpty();
    assertThat(WakeUp.after(new LambdaInvocationStatus(), NOW, NOW)).isEmpty();
  }

  @Test
  void theEarliestOfRefreshExpiryRetryAndOnDeleteAttemptComesFirst() {
    var status = new LambdaInvocationStatus();
    status.setNextRefreshTime("2026-12-07T10:10:00Z");
    status.setExpiryTime("2026-12-07T10:05:00Z");
    status.setNextRetryTime("2026-12-07T10:00:30Z");
    assertThat(WakeUp.after(status, NOW, NOW)).contains(Duration.ofSeconds(30).plus(WakeUp.MARGIN));

    status.setOnDelete(new OnDeleteStatus(1, "2026-12-07T10:00:05Z", "FunctionError: x", null));
    assertThat(WakeUp.after(status, NOW, NOW)).contains(Duration.ofSeconds(5).plus(WakeUp.MARGIN));
  }

  @Test
  void thePreviousValuesOfTheSecretWakeTheResourceWhenTheirTimeIsUp() {
    var status = new LambdaInvocationStatus();
    status.setNextRefreshTime("2026-12-08T10:00:00Z");
    status.setPreviousValuesExpiryTime("2026-12-07T11:00:00Z");
    assertThat(WakeUp.after(status, NOW, NOW)).contains(Duration.ofHours(1).plus(WakeUp.MARGIN));
  }

  @Test
  void aTimeAfterTheDecisionButPastWhenRecordedWakesAtOnce() {
    var status = new LambdaInvocationStatus();
    // A 1s refresh, rounded down to the second, recorded a moment after the decision.
    status.setNextRefreshTime("2026-12-07T10:00:00Z");
    Instant decided = NOW.minusMillis(300);
    assertThat(WakeUp.after(status, decided, NOW.plusMillis(200))).contains(WakeUp.MARGIN);
  }

  @Test
  void withoutADecisionEveryTimeCountsAndAPastOneWakesAtOnce() {
    var status = new LambdaInvocationStatus();
    status.setNextRefreshTime("2026-12-07T09:59:59Z");
    assertThat(WakeUp.after(status, NOW, NOW)).isEmpty();
    assertThat(WakeUp.after(status, Instant.MIN, NOW)).contains(WakeUp.MARGIN);
  }

  @Test
  void aTimeAlreadyPastWasActedOnAndDoesNotWakeAgain() {
    var status = new LambdaInvocationStatus();
    status.setNextRetryTime("2026-12-07T09:59:00Z");
    status.setExpiryTime("2026-12-07T11:00:00Z");
    assertThat(WakeUp.after(status, NOW, NOW)).contains(Duration.ofHours(1).plus(WakeUp.MARGIN));
  }

  @Test
  void aRejectedGenerationIsNotRefreshedAndAnExpiredSecretIsNotExpiredAgain() {
    var status = new LambdaInvocationStatus();
    status.setObservedGeneration(3L);
    status.setRejectedGeneration(3L);
    status.setNextRefreshTime("2026-12-07T10:10:00Z");
    assertThat(WakeUp.after(status, NOW, NOW)).isEmpty();

    var expired = new LambdaInvocationStatus();
    expired.setExpiryTime("2026-12-07T10:10:00Z");
    expired.setConditions(
        List.of(new InvocationCondition("Ready", "False", "Expired", "gone", 1L, "x")));
    assertThat(WakeUp.after(expired, NOW, NOW)).isEmpty();
  }

  @Test
  void anUnreadableTimeCountsAsNone() {
    var status = new LambdaInvocationStatus();
    status.setNextRefreshTime("tomorrow");
    assertThat(WakeUp.after(status, NOW, NOW)).isEmpty();
  }
}
