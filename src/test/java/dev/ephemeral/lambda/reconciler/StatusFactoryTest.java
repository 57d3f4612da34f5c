package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.InvocationCondition;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult.Succeeded;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.InvocationPlan;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StatusFactoryTest {

  private static final Instant INVOKED_AT = Instant.parse("2026-11-26T10:00:00Z");
  private static final Instant LATER = INVOKED_AT.plus(Duration.ofMinutes(10));
  private static final long GENERATION = 4;
  private static final String RESULT = "{\"api_key\":\"sk-live-0123456789abcdef\"}";
  private static final String LOG = "U1RBUlQgUmVxdWVzdElkOiBzZWNyZXQ=";
  private static final Succeeded SUCCEEDED =
      new Succeeded(200, "7", RESULT.getBytes(StandardCharsets.UTF_8), LOG);

  @Test
  void succeededRecordsWhatTheUserSeesAboutTheSecret() {
    var plan = plan(Optional.of(Duration.ofMinutes(10)), Optional.of(Duration.ofHours(1)));

    var status =
        StatusFactory.succeeded(resource(GENERATION, "run-2"), null, plan, SUCCEEDED, INVOKED_AT);

    assertThat(status.getObservedGeneration()).isEqualTo(GENERATION);
    assertThat(status.getStatusCode()).isEqualTo(200);
    assertThat(status.getExecutedVersion()).isEqualTo("7");
    assertThat(status.getSecretName()).isEqualTo("api-key");
    assertThat(status.getLastInvocationTime()).isEqualTo("2026-11-26T10:00:00Z");
    assertThat(status.getNextRefreshTime()).isEqualTo("2026-11-26T10:10:00Z");
    assertThat(status.getExpiryTime()).isEqualTo("2026-11-26T11:00:00Z");
    assertThat(status.getLastHandledInvokeRequest()).isEqualTo("run-2");
    assertThat(status.readyCondition())
        .hasValueSatisfying(
            ready -> {
              assertThat(ready.getType()).isEqualTo("Ready");
              assertThat(ready.getStatus()).isEqualTo("True");
              assertThat(ready.getReason()).isEqualTo("Invoked");
              assertThat(ready.getObservedGeneration()).isEqualTo(GENERATION);
              assertThat(ready.getMessage()).isEqualTo("result written to Secret api-key");
              assertThat(ready.getLastTransitionTime()).isEqualTo("2026-11-26T10:00:00Z");
            });
    assertThat(status.isReady()).isTrue();
  }

  @Test
  void aResultWrittenButRejectedDescribesTheSecretAndIsStalledWithoutRetry() {
    var plan = plan(Optional.of(Duration.ofMinutes(10)), Optional.empty());
    var previous = succeeded(plan);

    var status =
        StatusFactory.writtenButRejected(
            resource(GENERATION, "run-3"),
            previous,
            plan,
            new Succeeded(200, "8", RESULT.getBytes(StandardCharsets.UTF_8), null),
            LATER,
            "not compliant",
            LATER);

    assertThat(status.getSecretName()).isEqualTo("api-key");
    assertThat(status.getExecutedVersion()).isEqualTo("8");
    assertThat(status.getLastInvocationTime()).isEqualTo("2026-11-26T10:10:00Z");
    assertThat(status.getNextRetryTime()).isNull();
    assertThat(status.isReady()).isFalse();
    assertThat(status.readyCondition().orElseThrow().getReason()).isEqualTo("ConditionNotMet");
    assertThat(status.readyCondition().orElseThrow().getMessage())
        .isEqualTo("not compliant; not retried until the next trigger");
    assertThat(status.condition(LambdaInvocationStatus.STALLED).orElseThrow().getStatus())
        .isEqualTo("True");
  }

  @Test
  void succeededWithoutRefreshOrTtlHasNoRefreshOrExpiryTime() {
    var previous =
        succeeded(plan(Optional.of(Duration.ofMinutes(10)), Optional.of(Duration.ofHours(1))));

    var status =
        StatusFactory.succeeded(
            resource(GENERATION + 1, null),
            previous,
            plan(Optional.empty(), Optional.empty()),
            SUCCEEDED,
            LATER);

    assertThat(status.getNextRefreshTime()).isNull();
    assertThat(status.getExpiryTime()).isNull();
    assertThat(status.getObservedGeneration()).isEqualTo(GENERATION + 1);
  }

  @Test
  void statusTimesAreWholeSecondsInRfc3339() {
    var status =
        StatusFactory.succeeded(
            resource(GENERATION, null),
            null,
            plan(Optional.of(Duration.ofSeconds(90)), Optional.of(Duration.ofMinutes(5))),
            SUCCEEDED,
            INVOKED_AT.plusMillis(123));

    assertThat(status.getLastInvocationTime()).isEqualTo("2026-11-26T10:00:00Z");
    assertThat(status.getNextRefreshTime()).isEqualTo("2026-11-26T10:01:30Z");
    assertThat(status.getExpiryTime()).isEqualTo("2026-11-26T10:05:00Z");
  }

  @Test
  void statusNeverContainsTheResultOrTheLog() throws Exception {
    var status = succeeded(plan(Optional.empty(), Optional.empty()));

    String json = new ObjectMapper().writeValueAsString(status);

    assertThat(json).doesNotContain("sk-live", "api_key", LOG);
  }

  @Test
  void failedKeepsTheFieldsDescribingTheSecretAndReportsTheReason() {
    var plan = plan(Optional.empty(), Optional.of(Duration.ofHours(1)));
    var previous = succeeded(plan);

    var status =
        StatusFactory.failed(
            resource(GENERATION, "run-3"),
            previous,
            Optional.of(plan),
            ReadyReason.Throttled,
            "Lambda is throttling",
            LATER);

    assertThat(status.getStatusCode()).isEqualTo(200);
    assertThat(status.getExecutedVersion()).isEqualTo("7");
    assertThat(status.getSecretName()).isEqualTo("api-key");
    assertThat(status.getLastInvocationTime()).isEqualTo("2026-11-26T10:00:00Z");
    assertThat(status.getExpiryTime()).isEqualTo("2026-11-26T11:00:00Z");
    assertThat(status.getObservedGeneration()).isEqualTo(GENERATION);
    assertThat(status.getLastHandledInvokeRequest()).isEqualTo("run-3");
    assertThat(status.isReady()).isFalse();
    assertThat(status.readyCondition())
        .hasValueSatisfying(
            ready -> {
              assertThat(ready.getStatus()).isEqualTo("False");
              assertThat(ready.getReason()).isEqualTo("Throttled");
              assertThat(ready.getMessage()).isEqualTo("Lambda is throttling");
              assertThat(ready.getObservedGeneration()).isEqualTo(GENERATION);
            });
  }

  @Test
  void failedFirstInvocationOfANewGenerationIsObservedButNotReady() {
    var previous = succeeded(plan(Optional.empty(), Optional.empty()));

    var status =
        StatusFactory.failed(
            resource(GENERATION + 1, null),
            previous,
            Optional.of(plan(Optional.empty(), Optional.empty())),
            ReadyReason.FunctionNotFound,
            "check spec.functionName",
            LATER);

    assertThat(status.getObservedGeneration()).isEqualTo(GENERATION + 1);
    assertThat(status.readyCondition())
        .get()
        .extracting(InvocationCondition::getObservedGeneration)
        .isEqualTo(GENERATION + 1);
    assertThat(status.isReady()).isFalse();
  }

  @Test
  void failedSchedulesTheNextRefreshFromTheAttempt() {
    var plan = plan(Optional.of(Duration.ofMinutes(10)), Optional.empty());

    var status =
        StatusFactory.failed(
            resource(GENERATION, null),
            succeeded(plan),
            Optional.of(plan),
            ReadyReason.FunctionError,
            "the function returned an error (Unhandled)",
            LATER);

    assertThat(status.getNextRefreshTime()).isEqualTo("2026-11-26T10:20:00Z");
  }

  @Test
  void invalidSpecSchedulesNoRefresh() {
    var plan = plan(Optional.of(Duration.ofMinutes(10)), Optional.empty());

    var status =
        StatusFactory.failed(
            resource(GENERATION + 1, null),
            succeeded(plan),
            Optional.empty(),
            ReadyReason.InvalidSpec,
            "spec.timeout: must be between 1s and 15m; fix the spec",
            LATER);

    assertThat(status.getNextRefreshTime()).isNull();
    assertThat(status.readyCondition())
        .get()
        .extracting(InvocationCondition::getReason)
        .isEqualTo("InvalidSpec");
  }

  @Test
  void lastTransitionTimeIsKeptWhileTheConditionStatusStaysTheSame() {
    var plan = plan(Optional.empty(), Optional.empty());
    var ready = succeeded(plan);

    var stillReady =
        StatusFactory.succeeded(resource(GENERATION, null), ready, plan, SUCCEEDED, LATER);
    assertThat(transitionTime(stillReady)).isEqualTo("2026-11-26T10:00:00Z");

    var notReady =
        StatusFactory.failed(
            resource(GENERATION, null),
            stillReady,
            Optional.of(plan),
            ReadyReason.Throttled,
            "Lambda is throttling",
            LATER);
    Instant evenLater = LATER.plus(Duration.ofMinutes(5));
    var stillNotReady =
        StatusFactory.failed(
            resource(GENERATION, null),
            notReady,
            Optional.of(plan),
            ReadyReason.InvocationTimeout,
            "no response",
            evenLater);

    assertThat(transitionTime(stillNotReady)).isEqualTo("2026-11-26T10:10:00Z");
    assertThat(stillNotReady.readyCondition().get().getReason()).isEqualTo("InvocationTimeout");
  }

  @Test
  void lastTransitionTimeMovesWhenTheConditionStatusChanges() {
    var plan = plan(Optional.empty(), Optional.empty());
    var ready = succeeded(plan);

    var notReady =
        StatusFactory.failed(
            resource(GENERATION, null),
            ready,
            Optional.of(plan),
            ReadyReason.Throttled,
            "Lambda is throttling",
            LATER);
    assertThat(transitionTime(notReady)).isEqualTo("2026-11-26T10:10:00Z");

    Instant evenLater = LATER.plus(Duration.ofMinutes(5));
    var readyAgain =
        StatusFactory.succeeded(resource(GENERATION, null), notReady, plan, SUCCEEDED, evenLater);
    assertThat(transitionTime(readyAgain)).isEqualTo("2026-11-26T10:15:00Z");
  }

  @Test
  void expiredReportsReasonExpiredAndKeepsTheRest() {
    var plan = plan(Optional.empty(), Optional.of(Duration.ofHours(1)));
    var previous = succeeded(plan);
    Instant expiry = INVOKED_AT.plus(Duration.ofHours(1));

    var status = StatusFactory.expired(resource(GENERATION, null), previous, expiry);

    assertThat(status.isReady()).isFalse();
    assertThat(status.readyCondition())
        .hasValueSatisfying(
            ready -> {
              assertThat(ready.getStatus()).isEqualTo("False");
              assertThat(ready.getReason()).isEqualTo("Expired");
              assertThat(ready.getMessage())
                  .contains("api-key", LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION);
              assertThat(ready.getLastTransitionTime()).isEqualTo("2026-11-26T11:00:00Z");
            });
    assertThat(status.getObservedGeneration()).isEqualTo(GENERATION);
    assertThat(status.getSecretName()).isEqualTo("api-key");
    assertThat(status.getExpiryTime()).isEqualTo("2026-11-26T11:00:00Z");
    assertThat(status.getStatusCode()).isEqualTo(200);
  }

  // --- nextRetryTime: "still trying" versus "needs you"

  @Test
  void failedWithAPendingRetryShowsItsTimeInWholeSecondsRfc3339() {
    var plan = plan(Optional.empty(), Optional.empty());

    var status =
        StatusFactory.failed(
            resource(GENERATION, null),
            succeeded(plan),
            Optional.of(plan),
            ReadyReason.Throttled,
            "Lambda is throttling",
            LATER,
            new RetryPolicy.Retry("", 1, LATER.plusMillis(31_750), false, Duration.ZERO),
            null);

    assertThat(status.getNextRetryTime()).isEqualTo("2026-11-26T10:10:31Z");
    assertThat(Instant.parse(status.getNextRetryTime())).isEqualTo(LATER.plusSeconds(31));
  }

  @Test
  void failedWithoutARetryTimeHasNoNextRetryTime() {
    var plan = plan(Optional.empty(), Optional.empty());

    var status =
        StatusFactory.failed(
            resource(GENERATION, null),
            succeeded(plan),
            Optional.of(plan),
            ReadyReason.FunctionNotFound,
            "check spec.functionName",
            LATER);

    assertThat(status.getNextRetryTime()).isNull();
  }

  @Test
  void failedWithoutARetryTimeClearsThePreviousOne() {
    var plan = plan(Optional.empty(), Optional.empty());

    var status =
        StatusFactory.failed(
            resource(GENERATION, null),
            retrying(plan),
            Optional.of(plan),
            ReadyReason.InvocationFailed,
            "Lambda service error; retries exhausted",
            LATER.plusSeconds(60));

    assertThat(status.getNextRetryTime()).isNull();
  }

  @Test
  void succeededClearsAPreviousNextRetryTime() {
    var plan = plan(Optional.empty(), Optional.empty());

    var status =
        StatusFactory.succeeded(
            resource(GENERATION, null), retrying(plan), plan, SUCCEEDED, LATER.plusSeconds(30));

    assertThat(status.getNextRetryTime()).isNull();
    assertThat(status.isReady()).isTrue();
  }

  @Test
  void expiredClearsAPreviousNextRetryTime() {
    var plan = plan(Optional.empty(), Optional.of(Duration.ofHours(1)));

    var status =
        StatusFactory.expired(
            resource(GENERATION, null), retrying(plan), INVOKED_AT.plus(Duration.ofHours(1)));

    assertThat(status.getNextRetryTime()).isNull();
    assertThat(status.hasReason("Expired")).isTrue();
  }

  @Test
  void aFailedRefreshWaitsAtLeastTheBackoffBeforeTheNextRefresh() {
    var plan = plan(Optional.of(Duration.ofSeconds(1)), Optional.empty());

    var status =
        StatusFactory.failed(
            resource(GENERATION, null),
            succeeded(plan),
            Optional.of(plan),
            ReadyReason.FunctionError,
            "the function returned an error",
            LATER,
            new RetryPolicy.Retry("", 4, null, false, Duration.ofSeconds(40)),
            null);

    assertThat(status.getNextRefreshTime()).isEqualTo(StatusFactory.format(LATER.plusSeconds(40)));
  }

  // --- kstatus: Reconciling and Stalled next to Ready, through every reason

  @Test
  void everyReasonSetsReconcilingAndStalledForKstatus() {
    var plan = plan(Optional.empty(), Optional.empty());
    var ready = succeeded(plan);
    assertThat(kstatus(ready)).isEqualTo("Ready=True Reconciling=False Stalled=False");

    for (ReadyReason reason : ReadyReason.values()) {
      if (reason == ReadyReason.Invoked || reason == ReadyReason.Expired) {
        continue;
      }
      var retrying = failedWith(ready, plan, reason, LATER.plusSeconds(20));
      var notRetrying = failedWith(ready, plan, reason, null);
      if (reason.needsUser()) {
        // A slow retry does not change that a person must act.
        assertThat(kstatus(retrying)).as(reason.name())
            .isEqualTo("Ready=False Reconciling=False Stalled=True");
      } else {
        assertThat(kstatus(retrying)).as(reason.name())
            .isEqualTo("Ready=False Reconciling=True Stalled=False");
      }
      assertThat(kstatus(notRetrying)).as(reason + ", retries spent")
          .isEqualTo("Ready=False Reconciling=False Stalled=True");
      assertThat(notRetrying.getConditions())
          .allSatisfy(c -> assertThat(c.getObservedGeneration()).isEqualTo(GENERATION));
    }

    var expired =
        StatusFactory.expired(resource(GENERATION, null), ready, INVOKED_AT.plusSeconds(3600));
    assertThat(kstatus(expired)).isEqualTo("Ready=False Reconciling=False Stalled=False");
  }

  @Test
  void aConditionKeepsItsTransitionTimeWhileItsStatusStays() {
    var plan = plan(Optional.empty(), Optional.empty());
    var first = failedWith(succeeded(plan), plan, ReadyReason.Throttled, LATER.plusSeconds(5));
    var second =
        StatusFactory.failed(
            resource(GENERATION, null),
            first,
            Optional.of(plan),
            ReadyReason.Throttled,
            "Lambda is throttling",
            LATER.plusSeconds(30),
            new RetryPolicy.Retry("", 2, LATER.plusSeconds(40), false, Duration.ZERO),
            null);

    assertThat(second.condition("Reconciling").orElseThrow().getLastTransitionTime())
        .isEqualTo(first.condition("Reconciling").orElseThrow().getLastTransitionTime())
        .isEqualTo(StatusFactory.format(LATER));
  }

  @Test
  void rolloutRestartedRecordsTheDataHashAndChangesNothingElse() {
    var plan = plan(Optional.of(Duration.ofMinutes(10)), Optional.of(Duration.ofHours(1)));
    var previous = retrying(plan);
    previous.setRolloutRestartedFor("hash-before");

    var status = StatusFactory.rolloutRestarted(previous, "hash-now");

    assertThat(status.getRolloutRestartedFor()).isEqualTo("hash-now");
    previous.setRolloutRestartedFor("hash-now");
    assertThat(status).isEqualTo(previous);
    assertThat(status.getNextRetryTime()).isEqualTo("2026-11-26T10:10:20Z");
    assertThat(status.getFailedAttempts()).isEqualTo(1);
  }

  @Test
  void laterStatusesKeepTheDataHashTheTargetsWereRestartedFor() {
    var plan = plan(Optional.of(Duration.ofMinutes(10)), Optional.empty());
    var previous = succeeded(plan);
    previous.setRolloutRestartedFor("hash-now");

    assertThat(failedWith(previous, plan, ReadyReason.Throttled, LATER).getRolloutRestartedFor())
        .isEqualTo("hash-now");
    assertThat(
            StatusFactory.succeeded(resource(GENERATION, null), previous, plan, SUCCEEDED, LATER)
                .getRolloutRestartedFor())
        .isEqualTo("hash-now");
    assertThat(StatusFactory.expired(resource(GENERATION, null), previous, LATER))
        .extracting(LambdaInvocationStatus::getRolloutRestartedFor)
        .isEqualTo("hash-now");
  }

  private static LambdaInvocationStatus failedWith(
      LambdaInvocationStatus previous, InvocationPlan plan, ReadyReason reason, Instant retryAt) {
    return StatusFactory.failed(
        resource(GENERATION, null),
        previous,
        Optional.of(plan),
        reason,
        "failed",
        LATER,
        new RetryPolicy.Retry("", 1, retryAt, false, Duration.ZERO),
        null);
  }

  private static String kstatus(LambdaInvocationStatus status) {
    return String.join(
        " ",
        status.getConditions().stream().map(c -> c.getType() + "=" + c.getStatus()).toList());
  }

  /** A failed refresh after {@link #succeeded(InvocationPlan)}, with a retry pending. */
  private static LambdaInvocationStatus retrying(InvocationPlan plan) {
    var status =
        StatusFactory.failed(
            resource(GENERATION, null),
            succeeded(plan),
            Optional.of(plan),
            ReadyReason.Throttled,
            "Lambda is throttling",
            LATER,
            new RetryPolicy.Retry("", 1, LATER.plusSeconds(20), false, Duration.ZERO),
            null);
    assertThat(status.getNextRetryTime()).isEqualTo("2026-11-26T10:10:20Z");
    return status;
  }

  private static String transitionTime(LambdaInvocationStatus status) {
    return status.readyCondition().orElseThrow().getLastTransitionTime();
  }

  private static LambdaInvocationStatus succeeded(InvocationPlan plan) {
    return StatusFactory.succeeded(resource(GENERATION, null), null, plan, SUCCEEDED, INVOKED_AT);
  }

  private static LambdaInvocation resource(long generation, String invokeRequest) {
    return Fixtures.resource(generation, invokeRequest);
  }

  private static InvocationPlan plan(Optional<Duration> refresh, Optional<Duration> ttl) {
    return Fixtures.plan(refresh, ttl, true);
  }
}
