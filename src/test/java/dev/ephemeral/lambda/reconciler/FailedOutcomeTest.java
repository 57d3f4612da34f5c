package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryClass;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.Trigger;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A failed call's outcome is stored once, and the status it gives is built when it is recorded: a
 * status write that failed and is made again later never carries a retry time already past.
 */
class FailedOutcomeTest {

  private static final Instant FINISHED = Instant.parse("2026-12-07T10:00:00Z");
  private static final InvocationResult.Failed THROTTLED =
      new InvocationResult.Failed(ReadyReason.Throttled, RetryClass.THROTTLED, "Rate exceeded");

  private final Outcome outcome =
      StoredCalls.failed(
          RetryPolicy.DEFAULT,
          Fixtures.resource(1, null),
          Fixtures.plan(Optional.empty(), Optional.empty(), false),
          Trigger.SPEC_CHANGED,
          THROTTLED,
          SecretState.ABSENT);

  @Test
  void theRetryCountsFromTheMomentTheStatusIsRecorded() {
    var recordedAtOnce = outcome.status().apply(Fixtures.resource(1, null), null, FINISHED);
    var recordedLater =
        outcome.status().apply(Fixtures.resource(1, null), null, FINISHED.plusSeconds(30));

    assertThat(recordedAtOnce.getNextRetryTime()).isEqualTo("2026-12-07T10:00:05Z");
    assertThat(recordedLater.getNextRetryTime()).isEqualTo("2026-12-07T10:00:35Z");
    assertThat(recordedLater.readyCondition().orElseThrow().getReason()).isEqualTo("Throttled");
    assertThat(recordedLater.getFailedAttempts()).as("a throttled call did not run").isNull();
  }

  @Test
  void aFinishedCallIsStoredOnceHoweverOftenItsStatusIsRecorded() {
    var pending =
        new PendingInvocation(
            Fixtures.resource(1, null),
            Fixtures.plan(Optional.empty(), Optional.empty(), false),
            Trigger.SPEC_CHANGED,
            Optional.empty(),
            SecretState.ABSENT);
    var stores = new AtomicInteger();

    var first = pending.storeOnce(() -> countingStore(stores));
    var again = pending.storeOnce(() -> countingStore(stores));

    assertThat(stores).hasValue(1);
    assertThat(again).isSameAs(first);
  }

  private Outcome countingStore(AtomicInteger stores) {
    stores.incrementAndGet();
    return outcome;
  }
}
