package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Trigger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The values spec.payloadFrom reads are a trigger: the status keeps the hash of the values the last
 * attempt acted on, and a different hash invokes once, whatever the attempt's outcome.
 */
class InputsTriggerTest {

  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
  private static final Instant INVOKED_AT = NOW.minus(Duration.ofMinutes(30));
  private static final long GENERATION = 3;
  private static final LambdaInvocation RESOURCE = Fixtures.resource(GENERATION, null);
  private static final byte[] PAYLOAD = "{}".getBytes(StandardCharsets.UTF_8);

  private static InvocationPlan plan(InvokePolicy policy, String inputsHash) {
    return Fixtures.plan(Optional.empty(), Optional.empty(), false, policy)
        .withInputs(PAYLOAD, inputsHash);
  }

  private static LambdaInvocationStatus succeededWith(InvocationPlan plan) {
    return StatusFactory.succeeded(
        RESOURCE, null, plan, new InvocationResult.Succeeded(200, "1", PAYLOAD, null), INVOKED_AT);
  }

  private static Decision decide(InvocationPlan plan, LambdaInvocationStatus status) {
    return InvocationDecision.decide(RESOURCE, plan, status, SecretObservation.INTACT, false, NOW);
  }

  @ParameterizedTest
  @EnumSource(InvokePolicy.class)
  void changedInputsInvokeOnceUnderEitherPolicy(InvokePolicy policy) {
    var status = succeededWith(plan(policy, "hmac-sha256:aa"));
    var changed = plan(policy, "hmac-sha256:bb");

    assertThat(decide(changed, status)).isEqualTo(new Decision.Invoke(Trigger.INPUTS_CHANGED));
    // The attempt for the new values records them: the same values do not invoke again.
    assertThat(decide(changed, succeededWith(changed))).isInstanceOf(Decision.Wait.class);
  }

  @Test
  void unchangedInputsDoNotInvoke() {
    var plan = plan(InvokePolicy.OnChange, "hmac-sha256:aa");
    assertThat(decide(plan, succeededWith(plan))).isInstanceOf(Decision.Wait.class);
  }

  @Test
  void aFailedAttemptRecordsTheInputsItActedOnSoTheyDoNotInvokeAgain() {
    var before = succeededWith(plan(InvokePolicy.OnChange, "hmac-sha256:aa"));
    var changed = plan(InvokePolicy.OnChange, "hmac-sha256:bb");
    var failed =
        StatusFactory.failed(
            RESOURCE,
            before,
            Optional.of(changed),
            ReadyReason.FunctionError,
            "function error",
            NOW,
            RetryPolicy.Retry.NONE,
            null);

    assertThat(failed.getInputsHash()).isEqualTo("hmac-sha256:bb");
    assertThat(decide(changed, failed)).isInstanceOf(Decision.Wait.class);
  }

  @Test
  void changedInputsInvokeAnExpiredResourceAndOneWhoseRequestWasRejected() {
    var rejected = succeededWith(plan(InvokePolicy.OnChange, "hmac-sha256:aa"));
    rejected.setRejectedGeneration(GENERATION);
    var expired =
        StatusFactory.expired(
            RESOURCE, succeededWith(plan(InvokePolicy.OnChange, "hmac-sha256:aa")), NOW);
    var changed = plan(InvokePolicy.OnChange, "hmac-sha256:bb");

    assertThat(decide(changed, rejected)).isEqualTo(new Decision.Invoke(Trigger.INPUTS_CHANGED));
    assertThat(decide(changed, expired)).isEqualTo(new Decision.Invoke(Trigger.INPUTS_CHANGED));
  }

  @Test
  void aResourceWithoutInputsIsNotTriggeredByThem() {
    var plan = plan(InvokePolicy.OnChange, null);
    assertThat(decide(plan, succeededWith(plan))).isInstanceOf(Decision.Wait.class);
  }
}
