package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The result and the log never appear in the status, a condition, an Event, an exception
 * or a log line at any level. A sentinel in the result, the log tail and a function error's message
 * must show up in the Secret's data and nowhere else, also when templates render it or fail on it.
 */
class SecretHygieneTest {

  private static final String SENTINEL = "S3NT1NEL-c0ffee-do-not-leak";

  private TraceLogs logs;
  private OperatorHarness harness;

  @BeforeEach
  void captureLogsAtTrace() {
    logs = TraceLogs.capture("dev.ephemeral.lambda", "io.javaoperatorsdk", "io.pebbletemplates");
    harness = OperatorHarness.start();
  }

  @AfterEach
  void restore() {
    harness.close();
    logs.close();
  }

  @Test
  void sentinelAppearsOnlyInTheSecretData() {
    String result = "{\"api_key\":\"" + SENTINEL + "\",\"note\":\"" + SENTINEL + "\"}";
    harness.lambda.function(
        "secret-generator",
        call ->
            FunctionOutcome.result(
                result.getBytes(StandardCharsets.UTF_8), "log line " + SENTINEL + "\n"));
    harness.lambda.function(
        "failing",
        call ->
            FunctionOutcome.functionError(
                "Handled", "ValueError", "bad input " + SENTINEL, "trace " + SENTINEL));
    harness.lambda.function(
        "keyless",
        call -> FunctionOutcome.result(result.getBytes(StandardCharsets.UTF_8), SENTINEL));

    var ok = invocation("ok", "secret-generator", "{}");
    ok.getSpec().setLogType("Tail");
    secretSpec(ok).setKeys(Map.of("api_key", "/api_key"));
    harness.create(ok);
    var failing = invocation("failing", "failing", "{}");
    failing.getSpec().setLogType("Tail");
    harness.create(failing);
    var keyless = invocation("keyless", "keyless", "{}");
    keyless.getSpec().setLogType("Tail");
    secretSpec(keyless).setKeys(Map.of("missing", "/missing"));
    harness.create(keyless);
    // Templates: one renders the sentinel into the Secret; one fails on a lookup whose name is the
    // sentinel (the template engine's own message would quote it); one builds a value the Secret
    // type refuses.
    var templated = invocation("templated", "secret-generator", "{}");
    secretSpec(templated)
        .setTemplate(
            Map.of(
                "header", "Bearer {{ result.api_key }}",
                "basic", "{{ ('user:' ~ result.api_key) | base64encode }}",
                "json", "{{ result | json }}"));
    harness.create(templated);
    var templateFails = invocation("template-fails", "secret-generator", "{}");
    secretSpec(templateFails).setTemplate(Map.of("x", "{{ result[result.api_key] }}"));
    harness.create(templateFails);
    var wrongShape = invocation("wrong-shape", "secret-generator", "{}");
    secretSpec(wrongShape).setType("kubernetes.io/dockerconfigjson");
    secretSpec(wrongShape).setTemplate(Map.of(".dockerconfigjson", "{{ result.note }}"));
    harness.create(wrongShape);

    // Success conditions: one false, one whose evaluation fails on the sentinel (CEL's own
    // message would quote it), one that writes the rejected result as asked.
    harness.create(
        SuccessConditionTest.gated(
            "gate-false", "secret-generator", "result.api_key == 'x'", null));
    harness.create(
        SuccessConditionTest.gated(
            "gate-error", "secret-generator", "int(result.api_key) > 0", null));
    var gateWritten =
        SuccessConditionTest.gated(
            "gate-written", "secret-generator", "result.api_key == 'x'", "rejected");
    gateWritten.getSpec().getSuccessCondition().setWriteRejectedResult(true);
    harness.create(gateWritten);

    harness.awaitReason("ok", "Invoked");
    harness.awaitReason("gate-false", "ConditionNotMet");
    harness.awaitReason("gate-error", "ConditionNotMet");
    harness.awaitReason("gate-written", "ConditionNotMet");
    harness.awaitReason("templated", "Invoked");
    harness.awaitReason("template-fails", "ResultKeyMissing");
    harness.awaitReason("wrong-shape", "ResultKeyMissing");
    harness.awaitReason("failing", "FunctionError");
    harness.awaitReason("keyless", "ResultKeyMissing");
    harness.restartOperator();
    harness.awaitResource("ok", r -> r.getStatus().isReady());

    // The Secret holds it (so the test can fail): result and projected key.
    var secret = harness.secret("ok");
    assertThat(InvocationLifecycleTest.decode(secret, "api_key")).isEqualTo(SENTINEL);
    assertThat(InvocationLifecycleTest.decode(secret, "result")).contains(SENTINEL);
    assertThat(
            new String(
                Base64.getDecoder().decode(InvocationLifecycleTest.decode(secret, "log_result")),
                StandardCharsets.UTF_8))
        .contains(SENTINEL);
    var rendered = harness.secret("templated");
    assertThat(InvocationLifecycleTest.decode(rendered, "header")).isEqualTo("Bearer " + SENTINEL);
    assertThat(InvocationLifecycleTest.decode(rendered, "json")).isEqualTo(result);

    List<String> forbidden =
        List.of(
            SENTINEL,
            Base64.getEncoder().encodeToString(SENTINEL.getBytes(StandardCharsets.UTF_8)),
            Base64.getEncoder()
                .encodeToString(("user:" + SENTINEL).getBytes(StandardCharsets.UTF_8)));
    List<ILoggingEvent> captured = logs.events();
    assertThat(captured).isNotEmpty();
    for (ILoggingEvent event : captured) {
      String line =
          event.getFormattedMessage()
              + " "
              + event.getKeyValuePairs()
              + " "
              + throwableText(event.getThrowableProxy());
      for (String text : forbidden) {
        assertThat(line).as("log line from %s", event.getLoggerName()).doesNotContain(text);
      }
    }
    logs.assertNoLineContains(forbidden);
    for (String name :
        List.of(
            "ok",
            "failing",
            "keyless",
            "templated",
            "template-fails",
            "wrong-shape",
            "gate-false",
            "gate-error",
            "gate-written")) {
      String resource = Serialization.asJson(harness.get(name));
      for (String text : forbidden) {
        assertThat(resource).doesNotContain(text);
      }
    }
    String events =
        Serialization.asJson(harness.client().v1().events().inNamespace(NAMESPACE).list());
    String eventsV1 =
        Serialization.asJson(harness.client().events().v1().events().inNamespace(NAMESPACE).list());
    for (String text : forbidden) {
      assertThat(events).doesNotContain(text);
      assertThat(eventsV1).doesNotContain(text);
    }
    assertThat(harness.secret("failing")).isNull();
    assertThat(harness.secret("keyless")).isNull();
    assertThat(harness.secret("template-fails")).isNull();
    assertThat(harness.secret("wrong-shape")).isNull();
    assertThat(harness.secret("gate-false")).isNull();
    assertThat(harness.secret("gate-error")).isNull();
    assertThat(InvocationLifecycleTest.decode(harness.secret("gate-written"), "result"))
        .contains(SENTINEL);
    assertThat(harness.get("gate-error").getStatus().readyCondition().orElseThrow().getMessage())
        .contains("int(result.api_key) > 0")
        .contains("bad format");
    assertThat(harness.get("keyless").getStatus().readyCondition().orElseThrow().getMessage())
        .contains("/missing");
    LambdaInvocation failed = harness.get("failing");
    assertThat(failed.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("Handled")
        .contains("ValueError");
  }

  private static String throwableText(IThrowableProxy proxy) {
    StringBuilder text = new StringBuilder();
    for (IThrowableProxy p = proxy; p != null; p = p.getCause()) {
      text.append(p.getClassName()).append(": ").append(p.getMessage()).append('\n');
    }
    return text.toString();
  }
}
