package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A value read from a Secret through spec.payloadFrom is as sensitive as the result: it reaches the
 * function and nothing else. A sentinel in a Secret input must show up in the payload Lambda
 * received, and in no status, condition, Event, exception or log line at any level, whether the
 * call succeeds, the function fails echoing its input, or the value is unusable (not JSON).
 */
class PayloadFromHygieneTest {

  private static final String SENTINEL = "S3NT1NEL-inputs-do-not-leak";

  private TraceLogs logs;
  private OperatorHarness harness;

  @BeforeEach
  void captureLogsAtTrace() {
    logs = TraceLogs.capture("dev.ephemeral.lambda", "io.javaoperatorsdk");
    harness = OperatorHarness.start();
  }

  @AfterEach
  void restore() {
    harness.close();
    logs.close();
  }

  @Test
  void aSecretInputReachesTheFunctionAndNothingElse() {
    harness.lambda.function("setup", call -> FunctionOutcome.json(Map.of("ok", true)));
    harness.lambda.function(
        "echo-error",
        call ->
            FunctionOutcome.functionError(
                "Unhandled",
                "ValueError",
                "bad input " + new String(call.payload(), StandardCharsets.UTF_8),
                null));
    secret(
        "credentials",
        Map.of("password", SENTINEL, "document", "{\"password\":\"" + SENTINEL + "\""));

    var ok = invocation("ok", "setup", "{}");
    ok.getSpec()
        .setPayloadFrom(
            List.of(PayloadFromTest.fromSecret("/password", "credentials", "password")));
    harness.create(ok);
    var failing = invocation("failing", "echo-error", "{}");
    failing
        .getSpec()
        .setPayloadFrom(
            List.of(PayloadFromTest.fromSecret("/password", "credentials", "password")));
    harness.create(failing);
    // Not JSON (the closing brace is missing): the parser's complaint quotes the text.
    var unusable = invocation("unusable", "setup", "{}");
    unusable
        .getSpec()
        .setPayloadFrom(
            List.of(
                PayloadFromTest.json(
                    PayloadFromTest.fromSecret("/document", "credentials", "document"))));
    harness.create(unusable);

    harness.awaitReason("ok", "Invoked");
    harness.awaitReason("failing", "FunctionError");
    harness.awaitReason("unusable", "InputMissing");
    // A change of the input: decided on and invoked again, all of it logged at TRACE.
    secret(
        "credentials",
        Map.of("password", SENTINEL + "-2", "document", "{\"password\":\"" + SENTINEL + "\""));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> harness.lambda.invocationCount("setup") == 2);
    harness.awaitResource("ok", r -> r.getStatus().isReady());

    // The function received it (so the test can fail).
    assertThat(
            harness.lambda.invocations().stream()
                .map(c -> new String(c.body(), StandardCharsets.UTF_8)))
        .contains("{\"password\":\"" + SENTINEL + "\"}");

    List<String> forbidden =
        List.of(
            SENTINEL,
            Base64.getEncoder().encodeToString(SENTINEL.getBytes(StandardCharsets.UTF_8)));
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
    for (String name : List.of("ok", "failing", "unusable")) {
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
  }

  private void secret(String name, Map<String, String> values) {
    var data = new java.util.TreeMap<String, String>();
    values.forEach(
        (k, v) ->
            data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    harness
        .client()
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withData(data)
                .build())
        .createOr(existing -> existing.update());
  }

  private static String throwableText(IThrowableProxy proxy) {
    StringBuilder text = new StringBuilder();
    for (IThrowableProxy p = proxy; p != null; p = p.getCause()) {
      text.append(p.getClassName()).append(": ").append(p.getMessage()).append('\n');
    }
    return text.toString();
  }
}
