package dev.ephemeral.lambda.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.InvokePolicy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InvocationPlanTest {

  @Test
  void plansWithTheSamePayloadBytesAreEqual() {
    var one = plan("{\"size\":32}", Optional.of("{\"revoke\":true}"));
    var other = plan("{\"size\":32}", Optional.of("{\"revoke\":true}"));

    assertThat(one.payload()).isNotSameAs(other.payload());
    assertThat(one).isEqualTo(other).hasSameHashCodeAs(other);
  }

  @Test
  void aDifferentPayloadMakesADifferentPlan() {
    var one = plan("{\"size\":32}", Optional.empty());

    assertThat(one).isNotEqualTo(plan("{\"size\":64}", Optional.empty()));
    assertThat(one.withInputs(bytes("{\"size\":64}"), "hash"))
        .isNotEqualTo(one.withInputs(bytes("{\"size\":32}"), "hash"));
  }

  @Test
  void aDifferentOrMissingDeletePayloadMakesADifferentPlan() {
    var revoke = plan("{}", Optional.of("{\"revoke\":true}"));

    assertThat(revoke).isNotEqualTo(plan("{}", Optional.of("{\"revoke\":false}")));
    assertThat(revoke).isNotEqualTo(plan("{}", Optional.empty()));
    assertThat(plan("{}", Optional.of(""))).isNotEqualTo(plan("{}", Optional.empty()));
  }

  private static InvocationPlan plan(String payload, Optional<String> onDeletePayload) {
    return new InvocationPlan(
        "secret-generator",
        null,
        null,
        bytes(payload),
        null,
        false,
        InvocationPlan.DEFAULT_TIMEOUT,
        Optional.empty(),
        "api-key",
        Optional.empty(),
        Map.of(),
        Map.of(),
        Map.of(),
        InvokePolicy.EveryReconcile,
        List.of(),
        onDeletePayload.map(InvocationPlanTest::bytes),
        SecretShape.OPAQUE,
        List.of(),
        null,
        Optional.empty(),
        Optional.empty());
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
