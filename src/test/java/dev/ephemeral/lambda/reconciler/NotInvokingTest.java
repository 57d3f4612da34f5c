package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.policy.Permit;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The outcomes of the phases that stop before a call: what the status then says. */
class NotInvokingTest {

  private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

  @Test
  void anInvalidSpecSaysHowToFixItAndForgetsTheInputsActedOn() {
    var next =
        NotInvoking.invalidSpec("spec.timeout: must be a duration")
            .status()
            .apply(Fixtures.resource(2, null), previousWithInputs(), NOW);

    assertThat(next.isReady()).isFalse();
    assertThat(next.readyCondition().orElseThrow().getReason()).isEqualTo("InvalidSpec");
    assertThat(next.readyCondition().orElseThrow().getMessage())
        .isEqualTo("spec.timeout: must be a duration; fix the spec");
    assertThat(next.getObservedGeneration()).isEqualTo(2L);
    // Once the spec is fixed, its inputs invoke even if they hold the values last sent.
    assertThat(next.getInputsHash()).isNull();
    // The Secret written before keeps its name and ttl.
    assertThat(next.getSecretName()).isEqualTo("api-key");
    assertThat(next.getExpiryTime()).isEqualTo("2026-12-07T11:00:00Z");
  }

  @Test
  void missingInputsAreReportedWithTheirOwnReason() {
    var next =
        NotInvoking.inputsUnusable(ReadyReason.InputMissing, "ConfigMap shop/settings is missing")
            .status()
            .apply(Fixtures.resource(1, null), previousWithInputs(), NOW);

    assertThat(next.readyCondition().orElseThrow().getReason()).isEqualTo("InputMissing");
    assertThat(next.getInputsHash()).isNull();
  }

  @Test
  void notAllowedKeepsTheInputsActedOnSoAPolicyThatAllowsItAgainInvokesOnce() {
    var next =
        NotInvoking.notAllowed(
                new Permit.Denied(
                    "no LambdaInvocationPolicy allows namespace shop", false, java.util.List.of()))
            .status()
            .apply(Fixtures.resource(1, null), previousWithInputs(), NOW);

    assertThat(next.readyCondition().orElseThrow().getReason()).isEqualTo("NotAllowed");
    assertThat(next.getInputsHash()).isEqualTo("hash-of-inputs");
  }

  @Test
  void nothingToRecordLeavesTheStatusAsItIs() {
    var previous = previousWithInputs();
    assertThat(Outcome.NONE.status().apply(Fixtures.resource(1, null), previous, NOW))
        .isSameAs(previous);
  }

  private static LambdaInvocationStatus previousWithInputs() {
    var status = new LambdaInvocationStatus();
    status.setObservedGeneration(1L);
    status.setSecretName("api-key");
    status.setExpiryTime("2026-12-07T11:00:00Z");
    status.setInputsHash("hash-of-inputs");
    return status;
  }
}
