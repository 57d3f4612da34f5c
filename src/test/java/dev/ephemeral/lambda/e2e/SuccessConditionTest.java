package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.InvocationCondition;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.SuccessConditionSpec;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.metrics.OperatorMetrics;
import io.fabric8.kubernetes.api.model.Event;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * spec.successCondition against the real operator and the Lambda emulator: an accepted result is
 * written; a rejected one leaves the Secret as it was, is Ready=False ConditionNotMet (Stalled, a
 * Warning Event, the rejected-results metric) and is not called again until the next trigger.
 */
class SuccessConditionTest {

  private static final String COMPLIANT = "result.compliant == true";

  private static OperatorHarness harness;

  @BeforeAll
  static void start() {
    harness = OperatorHarness.start();
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @Test
  void aTrueConditionWritesTheSecret() {
    harness.lambda.function(
        "approves", call -> FunctionOutcome.json(Map.of("compliant", true, "token", "t1")));
    harness.create(gated("approved", "approves", COMPLIANT, null));

    LambdaInvocation ready = harness.awaitReason("approved", "Invoked");

    assertThat(ready.getStatus().isReady()).isTrue();
    assertThat(InvocationLifecycleTest.decode(harness.secret("approved"), "result"))
        .contains("\"token\":\"t1\"");
  }

  @Test
  void aFalseConditionKeepsThePreviousSecretIsStalledWarnsAndIsNotRetried() {
    var answer = new AtomicReference<>(Map.<String, Object>of("compliant", true, "token", "good"));
    harness.lambda.function("checks", call -> FunctionOutcome.json(answer.get()));
    var resource = gated("checked", "checks", COMPLIANT, "the compliance check found violations");
    harness.create(resource);
    harness.awaitReason("checked", "Invoked");
    String before = harness.secret("checked").getData().get("result");

    answer.set(Map.of("compliant", false, "token", "bad", "violations", List.of("public_access")));
    OperatorHarness.requestInvocation(harness.client(), "checked", "1");
    LambdaInvocation rejected = harness.awaitReason("checked", "ConditionNotMet");

    // The Secret keeps the last accepted data: pods never see the rejected result.
    assertThat(harness.secret("checked").getData().get("result")).isEqualTo(before);
    LambdaInvocationStatus status = rejected.getStatus();
    InvocationCondition ready = status.readyCondition().orElseThrow();
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getMessage())
        .startsWith("the compliance check found violations: ")
        .contains(COMPLIANT + " is false")
        .contains("Secret checked was not replaced")
        .contains("not retried until the next trigger")
        .doesNotContain("public_access")
        .doesNotContain("bad");
    assertThat(status.condition(LambdaInvocationStatus.STALLED).orElseThrow().getStatus())
        .isEqualTo("True");
    assertThat(status.getStatusCode()).isEqualTo(200);
    assertThat(status.getNextRetryTime()).isNull();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(events("checked"))
                    .anySatisfy(
                        e -> {
                          assertThat(e.getType()).isEqualTo("Warning");
                          assertThat(e.getReason()).isEqualTo("ConditionNotMet");
                          assertThat(e.getMessage()).contains(COMPLIANT);
                        }));
    assertThat(harness.registry.get(OperatorMetrics.RESULTS_REJECTED).counter().count())
        .isGreaterThanOrEqualTo(1);

    // Final for that trigger: no retry.
    harness.awaitDecided("checked", 0);
    assertThat(harness.lambda.invocationCount("checks")).isEqualTo(2);

    // The next trigger calls again, and an accepted result is written again.
    answer.set(Map.of("compliant", true, "token", "fixed"));
    OperatorHarness.requestInvocation(harness.client(), "checked", "2");
    harness.awaitReason("checked", "Invoked");
    assertThat(harness.lambda.invocationCount("checks")).isEqualTo(3);
    assertThat(InvocationLifecycleTest.decode(harness.secret("checked"), "result"))
        .contains("fixed");
  }

  @Test
  void aRejectedFirstResultWritesNoSecret() {
    harness.lambda.function("refuses", call -> FunctionOutcome.json(Map.of("compliant", false)));
    harness.create(gated("refused", "refuses", COMPLIANT, null));

    harness.awaitReason("refused", "ConditionNotMet");

    assertThat(harness.secret("refused")).isNull();
    harness.awaitDecided("refused", 0);
    assertThat(harness.lambda.invocationCount("refuses")).isEqualTo(1);
  }

  @Test
  void writeRejectedResultWritesTheReportButStaysNotReady() {
    harness.lambda.function(
        "reports",
        call -> FunctionOutcome.json(Map.of("compliant", false, "violations", List.of("v1"))));
    var resource = gated("reported", "reports", COMPLIANT, null);
    resource.getSpec().getSuccessCondition().setWriteRejectedResult(true);
    harness.create(resource);

    LambdaInvocation rejected = harness.awaitReason("reported", "ConditionNotMet");

    assertThat(InvocationLifecycleTest.decode(harness.secret("reported"), "result"))
        .contains("v1");
    assertThat(rejected.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("written to Secret reported");
    assertThat(rejected.getStatus().getSecretName()).isEqualTo("reported");
  }

  @Test
  void anEvaluationErrorNamesItsKindOnly() {
    harness.lambda.function(
        "answers-text", call -> FunctionOutcome.json(Map.of("score", "very-high")));
    harness.create(gated("missing-key", "answers-text", "result.compliant == true", null));
    harness.create(gated("wrong-type", "answers-text", "result.score > 3", null));

    String missing =
        harness.awaitReason("missing-key", "ConditionNotMet").getStatus().readyCondition()
            .orElseThrow()
            .getMessage();
    String wrongType =
        harness.awaitReason("wrong-type", "ConditionNotMet").getStatus().readyCondition()
            .orElseThrow()
            .getMessage();

    assertThat(missing).contains("(no such key)").doesNotContain("very-high");
    assertThat(wrongType).contains("(type mismatch)").doesNotContain("very-high");
  }

  @Test
  void anExpressionThatDoesNotCompileIsInvalidSpecAndNothingIsCalled() {
    harness.lambda.function("never-called", call -> FunctionOutcome.json(Map.of()));
    harness.create(gated("uncompilable", "never-called", "result.compliant ==", null));
    harness.create(gated("not-boolean", "never-called", "size(result)", null));

    String uncompilable =
        harness.awaitReason("uncompilable", "InvalidSpec").getStatus().readyCondition()
            .orElseThrow()
            .getMessage();
    String notBoolean =
        harness.awaitReason("not-boolean", "InvalidSpec").getStatus().readyCondition()
            .orElseThrow()
            .getMessage();

    assertThat(uncompilable).startsWith("spec.successCondition.expression: ");
    assertThat(notBoolean)
        .startsWith("spec.successCondition.expression: ")
        .contains("expected type 'bool' but found 'int'");
    assertThat(harness.lambda.invocationCount("never-called")).isZero();
  }

  /**
   * A result of several MB and an expression that builds a list from it: the evaluation stops at
   * its cost limit, and the outcome says so.
   */
  @Test
  void anExpressionOverAHugeResultEndsAtTheCostLimit() {
    StringBuilder items = new StringBuilder("{\"items\":[");
    for (int i = 0; i < 400_000; i++) {
      items.append(i == 0 ? "" : ",").append(i);
    }
    byte[] huge = items.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    harness.lambda.function("huge-report", call -> FunctionOutcome.result(huge));
    harness.create(
        gated("huge", "huge-report", "result.items.map(x, x * 2).size() == 400000", null));

    String message =
        harness.awaitReason("huge", "ConditionNotMet").getStatus().readyCondition().orElseThrow()
            .getMessage();

    assertThat(message).contains("(cost limit exceeded (at most 1000000 units))");
  }

  /** A resource whose result must meet {@code expression}, with a fresh annotations map. */
  static LambdaInvocation gated(String name, String function, String expression, String message) {
    var resource = invocation(name, function, "{}");
    resource.getMetadata().setAnnotations(new HashMap<>());
    var condition = new SuccessConditionSpec();
    condition.setExpression(expression);
    condition.setMessage(message);
    resource.getSpec().setSuccessCondition(condition);
    return resource;
  }


  private static List<Event> events(String name) {
    return harness.client().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }
}
