package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.PolicyCondition;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.metrics.OperatorMetrics;
import dev.ephemeral.lambda.policy.PolicySettings;
import dev.ephemeral.lambda.policy.PolicyStatusReconciler;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stored LambdaInvocationPolicy that does not fit the model (as a CRD schema change, a restore or
 * a write that bypassed the schema can leave) stops nothing: it is reported and ignored, so it can
 * only allow less, while every other policy and resource works. The in-process API applies no
 * schema, so the test writes such a policy as raw JSON, as such a write would.
 */
class UnreadablePoliciesTest {

  private static final String OPERATOR_LOGGERS = "dev.ephemeral.lambda";

  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness =
        OperatorHarness.startEnforcing(
            PolicySettings.enforce(PolicyEnforcementTest.OWN_ACCOUNT, "eu-west-1"),
            Optional.empty());
    harness
        .client()
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    harness
        .lambda
        .function("secret-generator", call -> FunctionOutcome.json(Map.of("api_key", "k")))
        .function("config-fetcher", call -> FunctionOutcome.json(Map.of("config", "c")));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void aMistypedPolicyPresentAtStartIsReportedAndIgnoredWhileTheOthersWork() {
    harness.stopOperator();
    harness.client().resource(PolicyEnforcementTest.policy("shop", s -> {})).create();
    writeRaw(policyJson("broken", "\"revoke\":\"sometimes\""));
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.create(invocation("config", "config-fetcher", "{}"));

    try (var logs = TraceLogs.capture(OPERATOR_LOGGERS)) {
      harness.startOperator();

      harness.awaitReason("api-key", "Invoked");
      var refused = harness.awaitReason("config", "NotAllowed");
      assertThat(refused.getStatus().readyCondition().orElseThrow().getMessage())
          .as("the broken policy, which would allow it, is ignored")
          .startsWith("no LambdaInvocationPolicy allows namespace shop to invoke");
      PolicyCondition ready = awaitPolicyReason("broken", PolicyStatusReconciler.INVALID_SPEC);
      assertThat(ready.getStatus()).isEqualTo("False");
      assertThat(ready.getMessage())
          .startsWith("spec.revoke: must be true or false; the policy is ignored");
      assertThat(awaitPolicyReason("shop", "Accepted").getStatus()).isEqualTo("True");
      assertThat(harness.registry.get(OperatorMetrics.POLICIES_UNREADABLE).gauge().value())
          .isEqualTo(1.0);
      assertThat(harness.lambda.invocationCount("config-fetcher")).isZero();

      Event event =
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> policyEvent("broken"), Optional::isPresent)
              .orElseThrow();
      assertThat(event.getType()).isEqualTo("Warning");
      assertThat(event.getReason()).isEqualTo(PolicyStatusReconciler.INVALID_SPEC);
      assertThat(event.getMessage()).startsWith("spec.revoke: must be true or false");

      List<ILoggingEvent> warnings =
          logs.events().stream()
              .filter(e -> e.getLevel() == Level.WARN)
              .filter(e -> e.getFormattedMessage().startsWith("Ignoring a LambdaInvocationPolicy"))
              .toList();
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0).getKeyValuePairs())
          .extracting(kv -> kv.key + "=" + kv.value)
          .contains("name=broken", "field=spec.revoke: must be true or false");
      assertThat(logs.events())
          .as("no log line dumps the object")
          .noneMatch(e -> String.valueOf(e.getFormattedMessage()).contains("sometimes"))
          .noneMatch(
              e ->
                  e.getKeyValuePairs() != null
                      && e.getKeyValuePairs().stream()
                          .anyMatch(kv -> String.valueOf(kv.value).contains("sometimes")));
    }
  }

  @Test
  void aMistypedPolicyArrivingThroughAWatchStopsNothingAndTakesEffectOnceFixed() {
    harness.create(invocation("config", "config-fetcher", "{}"));
    harness.awaitReason("config", "NotAllowed");

    writeRaw(policyJson("broken", "\"namespaceSelector\":{\"matchLabels\":[\"team\"]}"));
    awaitPolicyReason("broken", PolicyStatusReconciler.INVALID_SPEC);
    // The watches still deliver: a policy and a resource written after it are served.
    harness.client().resource(PolicyEnforcementTest.policy("shop", s -> {})).create();
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "Invoked");
    assertThat(harness.get("config").getStatus().hasReason("NotAllowed")).isTrue();

    // Fixed, it is in force: the resource it allows is invoked.
    replaceRaw(policyJson("broken", "\"namespaceSelector\":{\"matchLabels\":{\"team\":\"x\"}}"));
    harness.awaitReason("config", "Invoked");
    assertThat(awaitPolicyReason("broken", "Accepted").getStatus()).isEqualTo("True");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> harness.registry.get(OperatorMetrics.POLICIES_UNREADABLE).gauge().value() == 0);
  }

  /** A policy naming the namespace, allowing config-*, with {@code extra} spec fields. */
  private static String policyJson(String name, String extra) {
    return "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\",\"kind\":\"LambdaInvocationPolicy\","
        + "\"metadata\":{\"name\":\""
        + name
        + "\"},\"spec\":{\"namespaces\":[\""
        + NAMESPACE
        + "\"],\"functions\":[{\"name\":\"config-*\"}],"
        + extra
        + "}}";
  }

  /** Written as JSON, untouched by the model, as a write the schema did not check. */
  private void writeRaw(String json) {
    harness.client().resource(generic(json)).create();
  }

  private void replaceRaw(String json) {
    var current = harness.client().resources(LambdaInvocationPolicy.class).withName("broken").get();
    var object = generic(json);
    object.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
    harness.client().resource(object).update();
  }

  private static GenericKubernetesResource generic(String json) {
    try {
      return new ObjectMapper().readValue(json, GenericKubernetesResource.class);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private PolicyCondition awaitPolicyReason(String name, String reason) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                Optional.ofNullable(
                        harness
                            .client()
                            .resources(LambdaInvocationPolicy.class)
                            .withName(name)
                            .get())
                    .map(LambdaInvocationPolicy::getStatus)
                    .stream()
                    .flatMap(s -> s.getConditions().stream())
                    .filter(c -> reason.equals(c.getReason()))
                    .findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }

  private Optional<Event> policyEvent(String name) {
    return harness.client().v1().events().inAnyNamespace().list().getItems().stream()
        .filter(e -> "LambdaInvocationPolicy".equals(e.getInvolvedObject().getKind()))
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .findFirst();
  }
}
