package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.InvocationCondition;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Trigger;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every trigger of an invocation, and the retries. */
class InvocationDecisionTest {

  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
  private static final Instant INVOKED_AT = NOW.minus(Duration.ofMinutes(30));
  private static final long GENERATION = 4;
  private static final String SECRET = "api-key";
  private static final String OLD_SECRET = "api-key-before-rename";
  private static final Duration REFRESH = Duration.ofMinutes(10);
  private static final Duration TTL = Duration.ofHours(1);

  /** This process has decided on the resource before, with no retry pending and nothing rejected. */
  private static final Known SEEN = new Known(false, null, null, null, null);

  /** The operator has just started: this is its first decision about the resource. */
  private static final Known RESTARTED = new Known(true, null, null, null, null);

  private static final InvocationPlan PLAN = plan(Optional.empty(), Optional.empty());
  private static final InvocationPlan REFRESHING = plan(Optional.of(REFRESH), Optional.empty());
  private static final InvocationPlan SHORT_LIVED = plan(Optional.empty(), Optional.of(TTL));

  // --- 1: created, or a new generation

  @Test
  void createdResourceIsInvokedForItsSpec() {
    assertThat(decide(resource(1, null), PLAN, null, SecretObservation.ABSENT, RESTARTED))
        .isEqualTo(invoke(Trigger.SPEC_CHANGED));
    assertThat(decide(resource(1, null), PLAN, null, SecretObservation.ABSENT, SEEN))
        .isEqualTo(invoke(Trigger.SPEC_CHANGED));
  }

  @Test
  void newGenerationIsInvokedAsSpecChange() {
    var status = invoked();
    status.setObservedGeneration(GENERATION - 1);

    assertThat(decide(resource(GENERATION, null), PLAN, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(invoke(Trigger.SPEC_CHANGED));
  }

  @Test
  void newGenerationIsInvokedEvenWhenItsSecretIsPastItsTtl() {
    var status = invoked();
    status.setObservedGeneration(GENERATION - 1);
    status.setExpiryTime(format(NOW.minusSeconds(1)));

    assertThat(
            decide(resource(GENERATION, null), SHORT_LIVED, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(invoke(Trigger.SPEC_CHANGED));
  }

  // --- 4: invoke-requested-at

  @Test
  void newInvokeRequestValueIsInvoked() {
    var status = invoked();
    status.setLastHandledInvokeRequest("2026-11-26T09:00:00Z");

    assertThat(
            decide(
                resource(GENERATION, "2026-11-26T09:59:00Z"),
                PLAN,
                status,
                SecretObservation.INTACT,
                SEEN))
        .isEqualTo(invoke(Trigger.INVOKE_REQUESTED));
  }

  @Test
  void firstInvokeRequestIsInvoked() {
    assertThat(decide(resource(GENERATION, "now"), PLAN, invoked(), SecretObservation.INTACT, SEEN))
        .isEqualTo(invoke(Trigger.INVOKE_REQUESTED));
  }

  @Test
  void invokeRequestAlreadyHandledIsNotInvokedAgain() {
    var status = invoked();
    status.setLastHandledInvokeRequest("2026-11-26T09:59:00Z");

    assertThat(
            decide(
                resource(GENERATION, "2026-11-26T09:59:00Z"),
                PLAN,
                status,
                SecretObservation.INTACT,
                SEEN))
        .isEqualTo(waitForever());
  }

  @Test
  void removingTheInvokeRequestAnnotationIsNotATrigger() {
    var status = invoked();
    status.setLastHandledInvokeRequest("2026-11-26T09:59:00Z");

    assertThat(decide(resource(GENERATION, null), PLAN, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(waitForever());
  }

  // --- 3: refreshInterval

  @Test
  void refreshDueIsInvoked() {
    var status = invoked();
    status.setNextRefreshTime(format(NOW));

    assertThat(
            decide(resource(GENERATION, null), REFRESHING, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(invoke(Trigger.REFRESH_DUE));

    status.setNextRefreshTime(format(NOW.minusSeconds(90)));
    assertThat(
            decide(resource(GENERATION, null), REFRESHING, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(invoke(Trigger.REFRESH_DUE));
  }

  @Test
  void refreshDueIsInvokedAfterOperatorRestartAsRefresh() {
    var status = invoked();
    status.setNextRefreshTime(format(NOW.minusSeconds(1)));

    assertThat(
            decide(
                resource(GENERATION, null),
                REFRESHING,
                status,
                SecretObservation.INTACT,
                RESTARTED))
        .isEqualTo(invoke(Trigger.REFRESH_DUE));
  }

  @Test
  void refreshNotDueWaitsUntilNextRefreshTime() {
    var status = invoked();
    Instant next = NOW.plus(Duration.ofMinutes(5));
    status.setNextRefreshTime(format(next));

    assertThat(
            decide(resource(GENERATION, null), REFRESHING, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(waitUntil(next));
  }

  @Test
  void leftoverNextRefreshTimeIsIgnoredWithoutRefreshInterval() {
    var status = invoked();
    status.setNextRefreshTime(format(NOW.minusSeconds(60)));

    assertThat(decide(resource(GENERATION, null), PLAN, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(waitForever());
  }

  // --- short-lived Secret: retire without invoking

  @Test
  void secretPastItsTtlIsRetiredWithoutInvoking() {
    var status = invoked();
    status.setExpiryTime(format(NOW));

    assertThat(
            decide(resource(GENERATION, null), SHORT_LIVED, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(new Decision.Retire());
  }

  @Test
  void secretPastItsTtlIsRetiredAfterOperatorRestartWithoutInvoking() {
    var status = invoked();
    status.setExpiryTime(format(NOW.minusSeconds(3600)));

    assertThat(
            decide(
                resource(GENERATION, null),
                SHORT_LIVED,
                status,
                SecretObservation.INTACT,
                RESTARTED))
        .isEqualTo(new Decision.Retire());
  }

  @Test
  void secretPastItsTtlIsRetiredEvenWhenAlreadyGone() {
    var status = invoked();
    status.setExpiryTime(format(NOW.minusSeconds(1)));

    assertThat(
            decide(resource(GENERATION, null), SHORT_LIVED, status, SecretObservation.ABSENT, SEEN))
        .isEqualTo(new Decision.Retire());
    assertThat(
            decide(
                resource(GENERATION, null),
                SHORT_LIVED,
                status,
                SecretObservation.ABSENT,
                RESTARTED))
        .isEqualTo(new Decision.Retire());
  }

  @Test
  void secretPastItsTtlIsRetiredEvenAfterAFailedRefresh() {
    // The Secret was written at INVOKED_AT; a later refresh failed, so nothing newer replaced it.
    var status = failed(invoked(), ReadyReason.FunctionError);
    status.setExpiryTime(format(NOW.minusSeconds(1)));

    assertThat(
            decide(resource(GENERATION, null), SHORT_LIVED, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(new Decision.Retire());
    assertThat(
            decide(
                resource(GENERATION, null),
                SHORT_LIVED,
                status,
                SecretObservation.TAMPERED,
                SEEN.withRetry(2, NOW)))
        .isEqualTo(new Decision.Retire());
    assertThat(
            decide(
                resource(GENERATION, null),
                SHORT_LIVED,
                status,
                SecretObservation.INTACT,
                SEEN.withRejectedGeneration(GENERATION)))
        .isEqualTo(new Decision.Retire());
  }

  @Test
  void refreshDueAtExpiryInvokesBecauseTheNewResultReplacesTheSecret() {
    var status = invoked();
    status.setNextRefreshTime(format(NOW.minusSeconds(1)));
    status.setExpiryTime(format(NOW.minusSeconds(1)));
    var plan = plan(Optional.of(REFRESH), Optional.of(TTL));

    assertThat(decide(resource(GENERATION, null), plan, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(invoke(Trigger.REFRESH_DUE));
  }

  // --- A resource no policy allowed is invoked once when one does (the check comes before this)

  @Test
  void aResourceThatWasNotAllowedIsInvokedOnceAllowed() {
    var status = failed(invoked(), ReadyReason.NotAllowed);

    assertThat(decide(resource(GENERATION, null), PLAN, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(invoke(Trigger.POLICY_ALLOWED));
    assertThat(
            decide(resource(GENERATION, null), PLAN, invoked(), SecretObservation.INTACT, SEEN))
        .as("once invoked, the same policies are no trigger")
        .isNotEqualTo(invoke(Trigger.POLICY_ALLOWED));
  }

  // --- Expired lasts until trigger 1, 3 or 4

  @Test
  void expiredResourceStaysExpiredWithoutInvoking() {
    var status = expired();

    assertThat(
            decide(resource(GENERATION, null), SHORT_LIVED, status, SecretObservation.ABSENT, SEEN))
        .isEqualTo(waitForever());
  }

  @Test
  void expiredResourceStaysExpiredAcrossOperatorRestart() {
    var status = expired();

    assertThat(
            decide(
                resource(GENERATION, null),
                SHORT_LIVED,
                status,
                SecretObservation.ABSENT,
                RESTARTED))
        .isEqualTo(waitForever());
  }

  @Test
  void expiredResourceWaitsForItsNextRefresh() {
    var status = expired();
    Instant next = NOW.plus(Duration.ofMinutes(3));
    status.setNextRefreshTime(format(next));
    var plan = plan(Optional.of(REFRESH), Optional.of(TTL));

    assertThat(
            decide(resource(GENERATION, null), plan, status, SecretObservation.ABSENT, RESTARTED))
        .isEqualTo(waitUntil(next));
  }

  @Test
  void expiredResourceIsRevivedBySpecChange() {
    var status = expired();

    assertThat(
            decide(
                resource(GENERATION + 1, null),
                SHORT_LIVED,
                status,
                SecretObservation.ABSENT,
                RESTARTED))
        .isEqualTo(invoke(Trigger.SPEC_CHANGED));
  }

  @Test
  void expiredResourceIsRevivedByRefresh() {
    var status = expired();
    status.setNextRefreshTime(format(NOW.minusSeconds(1)));
    var plan = plan(Optional.of(REFRESH), Optional.of(TTL));

    assertThat(decide(resource(GENERATION, null), plan, status, SecretObservation.ABSENT, SEEN))
        .isEqualTo(invoke(Trigger.REFRESH_DUE));
  }

  @Test
  void expiredResourceIsRevivedByInvokeRequest() {
    var status = expired();
    status.setLastHandledInvokeRequest("first");

    assertThat(
            decide(
                resource(GENERATION, "second"),
                SHORT_LIVED,
                status,
                SecretObservation.ABSENT,
                RESTARTED))
        .isEqualTo(invoke(Trigger.INVOKE_REQUESTED));
  }

  @Test
  void expiredResourceWithRejectedRequestDoesNotWaitForAPastRefresh() {
    // A refresh time in the past that is suppressed must not be waited for: that would spin.
    var status = expired();
    status.setNextRefreshTime(format(NOW.minusSeconds(30)));
    var plan = plan(Optional.of(REFRESH), Optional.of(TTL));

    assertThat(
            decide(
                resource(GENERATION, null),
                plan,
                status,
                SecretObservation.ABSENT,
                SEEN.withRejectedGeneration(GENERATION)))
        .isEqualTo(waitForever());
  }

  // --- 5: operator start

  @Test
  void operatorStartInvokesEveryLiveResource() {
    assertThat(
            decide(
                resource(GENERATION, null), PLAN, invoked(), SecretObservation.INTACT, RESTARTED))
        .isEqualTo(invoke(Trigger.OPERATOR_STARTED));
    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                failed(invoked(), ReadyReason.Throttled),
                SecretObservation.INTACT,
                RESTARTED))
        .isEqualTo(invoke(Trigger.OPERATOR_STARTED));
  }

  @Test
  void operatorStartWithOnChangeInvokesNothingWhileTheSecretIsIntact() {
    var onChange = Fixtures.plan(Optional.empty(), Optional.empty(), false, InvokePolicy.OnChange);

    assertThat(
            decide(
                resource(GENERATION, null), onChange, invoked(), SecretObservation.INTACT, RESTARTED))
        .isEqualTo(waitForever());
    assertThat(
            decide(
                resource(GENERATION, null),
                onChange,
                invoked(),
                SecretObservation.TAMPERED,
                RESTARTED))
        .isEqualTo(invoke(Trigger.SECRET_CHANGED));
  }

  @Test
  void operatorStartKeepsAPendingRetrysTimeInsteadOfInvokingAtOnce() {
    Instant retryAt = NOW.plusSeconds(30);

    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                failed(invoked(), ReadyReason.FunctionError),
                SecretObservation.INTACT,
                RESTARTED.withRetry(2, retryAt)))
        .isEqualTo(waitUntil(retryAt));
  }

  @Test
  void operatorStartDoesNotResendARequestLambdaRejected() {
    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                failed(invoked(), ReadyReason.InvocationFailed),
                SecretObservation.INTACT,
                RESTARTED.withRejectedGeneration(GENERATION)))
        .isEqualTo(waitForever());
  }

  // --- 2: the Secret is deleted or changed

  @Test
  void deletedSecretIsInvokedAgain() {
    assertThat(decide(resource(GENERATION, null), PLAN, invoked(), SecretObservation.ABSENT, SEEN))
        .isEqualTo(invoke(Trigger.SECRET_DELETED));
  }

  @Test
  void absentSecretIsNoTriggerBeforeAnySecretWasWritten() {
    var status = failed(new LambdaInvocationStatus(), ReadyReason.FunctionNotFound);
    status.setObservedGeneration(GENERATION);

    assertThat(decide(resource(GENERATION, null), PLAN, status, SecretObservation.ABSENT, SEEN))
        .isEqualTo(waitForever());
  }

  @Test
  void changedSecretIsInvokedAgain() {
    assertThat(
            decide(resource(GENERATION, null), PLAN, invoked(), SecretObservation.TAMPERED, SEEN))
        .isEqualTo(invoke(Trigger.SECRET_CHANGED));
  }

  @Test
  void secretRetiredAtItsTtlIsNotMistakenForADeletedSecret() {
    // Expired, then an invoke request ran and the result lacked a projected key: nothing was
    // written, so the Secret is still gone because the operator retired it, not because anyone
    // deleted it. ResultKeyMissing is not retried until a trigger.
    var status = failed(expired(), ReadyReason.ResultKeyMissing);
    status.setLastHandledInvokeRequest("again");

    assertThat(
            decide(
                resource(GENERATION, "again"), SHORT_LIVED, status, SecretObservation.ABSENT, SEEN))
        .isEqualTo(waitForever());
  }

  // --- nothing due

  @Test
  void intactSecretWithNothingDueWaitsForever() {
    assertThat(decide(resource(GENERATION, null), PLAN, invoked(), SecretObservation.INTACT, SEEN))
        .isEqualTo(waitForever());
  }

  @Test
  void idleResourceWaitsForTheEarliestOfRefreshExpiryAndRetry() {
    var plan = plan(Optional.of(REFRESH), Optional.of(TTL));
    var status = invoked();
    Instant refresh = NOW.plus(Duration.ofMinutes(10));
    Instant expiry = NOW.plus(Duration.ofMinutes(7));
    Instant retry = NOW.plus(Duration.ofMinutes(2));
    status.setNextRefreshTime(format(refresh));
    status.setExpiryTime(format(expiry));

    assertThat(
            decide(
                resource(GENERATION, null),
                plan,
                status,
                SecretObservation.INTACT,
                SEEN.withRetry(1, retry)))
        .isEqualTo(waitUntil(retry));
    assertThat(decide(resource(GENERATION, null), plan, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(waitUntil(expiry));

    status.setExpiryTime(format(NOW.plus(Duration.ofMinutes(20))));
    assertThat(decide(resource(GENERATION, null), plan, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(waitUntil(refresh));
  }

  @Test
  void failedResourceStillWaitsForItsSecretsExpiry() {
    var status = failed(invoked(), ReadyReason.InvocationFailed);
    Instant expiry = NOW.plus(Duration.ofMinutes(7));
    status.setExpiryTime(format(expiry));

    assertThat(
            decide(resource(GENERATION, null), SHORT_LIVED, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(waitUntil(expiry));
  }

  // --- retries

  @Test
  void dueRetryIsInvoked() {
    var status = failed(invoked(), ReadyReason.Throttled);

    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                status,
                SecretObservation.INTACT,
                SEEN.withRetry(1, NOW)))
        .isEqualTo(invoke(Trigger.RETRY));
  }

  @Test
  void pendingRetryWaitsUntilItIsDue() {
    var status = failed(invoked(), ReadyReason.Throttled);
    Instant at = NOW.plusSeconds(20);

    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                status,
                SecretObservation.INTACT,
                SEEN.withRetry(2, at)))
        .isEqualTo(waitUntil(at));
  }

  @Test
  void failedReinvocationOfADeletedSecretIsRetriedAsACountedRetry() {
    // The Secret was deleted, the re-invocation failed: the Secret is still gone at the retry,
    // which must count as a retry (bounded backoff), not as a fresh deletion that resets it.
    var status = failed(invoked(), ReadyReason.FunctionError);
    var memory = SEEN.withRetry(3, NOW.minusMillis(50));

    assertThat(decide(resource(GENERATION, null), PLAN, status, SecretObservation.ABSENT, memory))
        .isEqualTo(invoke(Trigger.RETRY));
    assertThat(decide(resource(GENERATION, null), PLAN, status, SecretObservation.TAMPERED, memory))
        .isEqualTo(invoke(Trigger.RETRY));
  }

  @Test
  void exhaustedRetriesWaitForTheNextTrigger() {
    var status = failed(invoked(), ReadyReason.InvocationFailed);

    assertThat(decide(resource(GENERATION, null), PLAN, status, SecretObservation.INTACT, SEEN))
        .isEqualTo(waitForever());
  }

  // --- a request Lambda rejected as bad

  @Test
  void rejectedGenerationSuppressesRefreshSecretAndRetryTriggers() {
    var status = failed(invoked(), ReadyReason.InvocationFailed);
    status.setNextRefreshTime(format(NOW.minusSeconds(5)));
    var rejected = SEEN.withRejectedGeneration(GENERATION);
    var resource = resource(GENERATION, null);

    assertThat(decide(resource, REFRESHING, status, SecretObservation.INTACT, rejected))
        .isEqualTo(waitForever());
    assertThat(decide(resource, REFRESHING, status, SecretObservation.ABSENT, rejected))
        .isEqualTo(waitForever());
    assertThat(decide(resource, REFRESHING, status, SecretObservation.TAMPERED, rejected))
        .isEqualTo(waitForever());
    assertThat(
            decide(
                resource,
                REFRESHING,
                status,
                SecretObservation.INTACT,
                rejected.withRetry(1, NOW.minusSeconds(1))))
        .isEqualTo(waitForever());
  }

  @Test
  void rejectedGenerationDoesNotSuppressSpecChange() {
    var status = failed(invoked(), ReadyReason.InvocationFailed);

    assertThat(
            decide(
                resource(GENERATION + 1, null),
                PLAN,
                status,
                SecretObservation.INTACT,
                SEEN.withRejectedGeneration(GENERATION)))
        .isEqualTo(invoke(Trigger.SPEC_CHANGED));
  }

  @Test
  void rejectedGenerationDoesNotSuppressNewInvokeRequest() {
    var status = failed(invoked(), ReadyReason.InvocationFailed);
    status.setLastHandledInvokeRequest("one");

    assertThat(
            decide(
                resource(GENERATION, "two"),
                PLAN,
                status,
                SecretObservation.INTACT,
                SEEN.withRejectedGeneration(GENERATION)))
        .isEqualTo(invoke(Trigger.INVOKE_REQUESTED));
  }

  @Test
  void rejectionOfAnEarlierGenerationSuppressesNothing() {
    var status = invoked();
    status.setNextRefreshTime(format(NOW));

    assertThat(
            decide(
                resource(GENERATION, null),
                REFRESHING,
                status,
                SecretObservation.INTACT,
                SEEN.withRejectedGeneration(GENERATION - 1)))
        .isEqualTo(invoke(Trigger.REFRESH_DUE));
  }

  // --- the Secret the status names (an older name after a rename) keeps its ttl

  @Test
  void renamedAwaySecretPastItsTtlIsRetiredAfterAFailedAttemptForTheCurrentGeneration() {
    // The spec renamed the Secret; the first attempt for the new name failed, so the result still
    // sits in the Secret under the old name, and its ttl keeps running.
    var status = failed(invoked(), ReadyReason.FunctionError);
    status.setSecretName(OLD_SECRET);
    status.setExpiryTime(format(NOW.minusSeconds(1)));
    var secrets = new SecretState(SecretObservation.ABSENT, SecretState.ABSENT, true);

    assertThat(decide(resource(GENERATION, null), SHORT_LIVED, status, secrets, SEEN))
        .isEqualTo(new Decision.Retire());
    assertThat(decide(resource(GENERATION, null), SHORT_LIVED, status, secrets, RESTARTED))
        .isEqualTo(new Decision.Retire());
  }

  @Test
  void renamedAwaySecretBeforeItsTtlIsWaitedForUntilItsExpiry() {
    var status = failed(invoked(), ReadyReason.FunctionError);
    status.setSecretName(OLD_SECRET);
    Instant expiry = NOW.plus(Duration.ofMinutes(12));
    status.setExpiryTime(format(expiry));
    var secrets = new SecretState(SecretObservation.ABSENT, SecretState.ABSENT, true);

    assertThat(decide(resource(GENERATION, null), SHORT_LIVED, status, secrets, SEEN))
        .isEqualTo(waitUntil(expiry));
  }

  @Test
  void rejectedGenerationKeepsTheTtlTimerOfTheWrittenSecret() {
    var status = failed(invoked(), ReadyReason.InvocationFailed);
    Instant expiry = NOW.plus(Duration.ofMinutes(12));
    status.setExpiryTime(format(expiry));
    var rejected = SEEN.withRejectedGeneration(GENERATION);

    assertThat(
            decide(
                resource(GENERATION, null),
                SHORT_LIVED,
                status,
                new SecretState(SecretObservation.INTACT, "17", true),
                rejected))
        .isEqualTo(waitUntil(expiry));
  }

  @Test
  void rejectedGenerationWithNoSecretLeftWaitsForever() {
    var status = failed(invoked(), ReadyReason.InvocationFailed);
    status.setExpiryTime(format(NOW.plus(Duration.ofMinutes(12))));
    var rejected = SEEN.withRejectedGeneration(GENERATION);

    assertThat(
            decide(
                resource(GENERATION, null),
                SHORT_LIVED,
                status,
                new SecretState(SecretObservation.ABSENT, SecretState.ABSENT, false),
                rejected))
        .isEqualTo(waitForever());
  }

  // --- a Secret trigger acts once per state of the Secret

  @Test
  void deletedSecretAlreadyActedOnIsNotInvokedAgain() {
    // The Secret was deleted, the re-invocation and its retries failed: the same absence does not
    // invoke again.
    var status = failed(invoked(), ReadyReason.FunctionError);
    var absent = new SecretState(SecretObservation.ABSENT, SecretState.ABSENT, false);

    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                status,
                absent,
                actedOnSecret(SecretState.ABSENT)))
        .isEqualTo(waitForever());
  }

  @Test
  void deletedSecretNotYetActedOnIsInvoked() {
    var status = failed(invoked(), ReadyReason.FunctionError);
    var absent = new SecretState(SecretObservation.ABSENT, SecretState.ABSENT, false);

    assertThat(decide(resource(GENERATION, null), PLAN, status, absent, actedOnSecret(null)))
        .isEqualTo(invoke(Trigger.SECRET_DELETED));
    assertThat(decide(resource(GENERATION, null), PLAN, status, absent, actedOnSecret("42")))
        .isEqualTo(invoke(Trigger.SECRET_DELETED));
    assertThat(decide(resource(GENERATION, null), PLAN, invoked(), absent, actedOnSecret(null)))
        .isEqualTo(invoke(Trigger.SECRET_DELETED));
  }

  @Test
  void changedSecretAlreadyActedOnIsNotInvokedAgain() {
    var status = failed(invoked(), ReadyReason.FunctionError);
    var tampered = new SecretState(SecretObservation.TAMPERED, "42", true);

    assertThat(decide(resource(GENERATION, null), PLAN, status, tampered, actedOnSecret("42")))
        .isEqualTo(waitForever());
  }

  @Test
  void secretChangedAgainAfterATriggerIsInvokedAgain() {
    var status = failed(invoked(), ReadyReason.FunctionError);
    var tampered = new SecretState(SecretObservation.TAMPERED, "42", true);

    assertThat(decide(resource(GENERATION, null), PLAN, status, tampered, actedOnSecret("41")))
        .isEqualTo(invoke(Trigger.SECRET_CHANGED));
    assertThat(decide(resource(GENERATION, null), PLAN, status, tampered, actedOnSecret(null)))
        .isEqualTo(invoke(Trigger.SECRET_CHANGED));
    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                status,
                tampered,
                actedOnSecret(SecretState.ABSENT)))
        .isEqualTo(invoke(Trigger.SECRET_CHANGED));
  }

  @Test
  void changedSecretDeletedAfterItsTriggerIsInvokedAgain() {
    var status = failed(invoked(), ReadyReason.FunctionError);

    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                status,
                new SecretState(SecretObservation.ABSENT, SecretState.ABSENT, false),
                actedOnSecret("42")))
        .isEqualTo(invoke(Trigger.SECRET_DELETED));
  }

  @Test
  void secretObservationWithoutAVersionIsNeverTakenAsActedOn() {
    // The SecretObservation overload knows no version: it behaves as before versions existed.
    var status = failed(invoked(), ReadyReason.FunctionError);

    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                status,
                SecretObservation.ABSENT,
                actedOnSecret(SecretState.ABSENT)))
        .isEqualTo(invoke(Trigger.SECRET_DELETED));
    assertThat(
            decide(
                resource(GENERATION, null),
                PLAN,
                status,
                SecretObservation.TAMPERED,
                actedOnSecret(SecretState.ABSENT)))
        .isEqualTo(invoke(Trigger.SECRET_CHANGED));
  }

  // --- fixtures

  private static Decision decide(
      LambdaInvocation resource,
      InvocationPlan plan,
      LambdaInvocationStatus status,
      SecretState secrets,
      Known known) {
    return InvocationDecision.decide(
        resource, plan, known.applyTo(status), secrets, known.firstSinceStart(), NOW);
  }

  /** Seen before, nothing pending, and a Secret trigger already invoked for {@code version}. */
  private static Known actedOnSecret(String version) {
    return SEEN.withActedOnSecret(version);
  }

  private static Decision decide(
      LambdaInvocation resource,
      InvocationPlan plan,
      LambdaInvocationStatus status,
      SecretObservation secret,
      Known known) {
    return InvocationDecision.decide(
        resource, plan, known.applyTo(status), secret, known.firstSinceStart(), NOW);
  }

  /**
   * What the decision knows beyond the status fixtures: whether this is the operator's first
   * decision about the resource, and the retry, rejection and Secret state that the operator keeps
   * in the status.
   */
  private record Known(
      boolean firstSinceStart,
      Integer failedAttempts,
      Instant nextRetry,
      Long rejectedGeneration,
      String actedOnSecret) {

    Known withRetry(int attempts, Instant at) {
      return new Known(firstSinceStart, attempts, at, rejectedGeneration, actedOnSecret);
    }

    Known withRejectedGeneration(long generation) {
      return new Known(firstSinceStart, failedAttempts, nextRetry, generation, actedOnSecret);
    }

    Known withActedOnSecret(String version) {
      return new Known(firstSinceStart, failedAttempts, nextRetry, rejectedGeneration, version);
    }

    /** A copy of {@code status} carrying what is known; null stays null when nothing is. */
    LambdaInvocationStatus applyTo(LambdaInvocationStatus status) {
      if (status == null && nextRetry == null && rejectedGeneration == null && actedOnSecret == null) {
        return null;
      }
      var copy = status == null ? new LambdaInvocationStatus() : copyOf(status);
      copy.setFailedAttempts(failedAttempts);
      copy.setNextRetryTime(nextRetry == null ? null : nextRetry.toString());
      copy.setRejectedGeneration(rejectedGeneration);
      copy.setLastHandledSecretVersion(actedOnSecret);
      return copy;
    }

    private static LambdaInvocationStatus copyOf(LambdaInvocationStatus status) {
      return new KubernetesSerialization().clone(status);
    }
  }

  private static Decision invoke(Trigger trigger) {
    return new Decision.Invoke(trigger);
  }

  private static Decision waitForever() {
    return new Decision.Wait(Optional.empty());
  }

  private static Decision waitUntil(Instant at) {
    return new Decision.Wait(Optional.of(at));
  }

  private static LambdaInvocation resource(long generation, String invokeRequest) {
    return Fixtures.resource(generation, invokeRequest);
  }

  private static InvocationPlan plan(Optional<Duration> refresh, Optional<Duration> ttl) {
    return Fixtures.plan(refresh, ttl, false);
  }

  /** The status after the Secret of the current generation was written at INVOKED_AT. */
  private static LambdaInvocationStatus invoked() {
    var status = new LambdaInvocationStatus();
    status.setObservedGeneration(GENERATION);
    status.setStatusCode(200);
    status.setExecutedVersion("7");
    status.setSecretName(SECRET);
    status.setLastInvocationTime(format(INVOKED_AT));
    status.setConditions(List.of(condition("True", ReadyReason.Invoked)));
    return status;
  }

  /** The status after the Secret of {@link #invoked()} passed its ttl and was deleted. */
  private static LambdaInvocationStatus expired() {
    var status = invoked();
    status.setExpiryTime(format(INVOKED_AT.plus(Duration.ofMinutes(15))));
    return failed(status, ReadyReason.Expired);
  }

  private static LambdaInvocationStatus failed(LambdaInvocationStatus status, ReadyReason reason) {
    status.setConditions(List.of(condition("False", reason)));
    return status;
  }

  private static InvocationCondition condition(String status, ReadyReason reason) {
    return new InvocationCondition(
        LambdaInvocationStatus.READY, status, reason.name(), "", GENERATION, format(INVOKED_AT));
  }

  private static String format(Instant instant) {
    return instant.toString();
  }
}
