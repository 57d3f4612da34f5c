package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.KeyReference;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.PayloadInput;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * spec.payloadFrom end to end: values from ConfigMaps and Secrets reach the function merged into
 * the payload, a change of a referenced value invokes exactly once, anything else invokes nothing,
 * and a missing input invokes nothing until it appears.
 */
class PayloadFromTest {

  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, 4);
    harness.lambda.function("setup", call -> FunctionOutcome.json(Map.of("ok", true)));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void valuesFromConfigMapsAndSecretsReachTheFunctionMergedIntoThePayload() {
    configMap("db", Map.of("host", "db.internal", "flags", "{\"tls\":true,\"pool\":[1,2]}"));
    secret("db-credentials", Map.of("password", "pa55word"));
    var resource = invocation("setup", "setup", "{\"db\":{\"port\":5432},\"tags\":[\"a\"]}");
    resource
        .getSpec()
        .setPayloadFrom(
            List.of(
                fromConfigMap("/db/host", "db", "host"),
                fromSecret("/db/password", "db-credentials", "password"),
                json(fromConfigMap("/options/flags", "db", "flags")),
                fromConfigMap("/tags/-", "db", "host")));
    harness.create(resource);

    LambdaInvocation ready = harness.awaitReason("setup", "Invoked");

    assertThat(harness.lambda.invocations()).hasSize(1);
    assertThat(body(0))
        .isEqualTo(
            "{\"db\":{\"port\":5432,\"host\":\"db.internal\",\"password\":\"pa55word\"},"
                + "\"tags\":[\"a\",\"db.internal\"],"
                + "\"options\":{\"flags\":{\"tls\":true,\"pool\":[1,2]}}}");
    assertThat(ready.getStatus().getInputsHash()).startsWith("hmac-sha256:");
  }

  @ParameterizedTest
  @EnumSource(InvokePolicy.class)
  void aChangeOfAReferencedValueInvokesExactlyOnce(InvokePolicy policy) {
    configMap("db", Map.of("host", "db-1.internal"));
    var resource = invocation("setup", "setup", "{}");
    resource.getSpec().setInvokePolicy(policy.name());
    resource.getSpec().setPayloadFrom(List.of(fromConfigMap("/host", "db", "host")));
    harness.create(resource);
    String firstHash = harness.awaitReason("setup", "Invoked").getStatus().getInputsHash();
    assertThat(harness.lambda.invocations()).hasSize(1);

    configMap("db", Map.of("host", "db-2.internal"));

    await().atMost(Duration.ofSeconds(10)).until(() -> harness.lambda.invocations().size() == 2);
    assertThat(body(1)).isEqualTo("{\"host\":\"db-2.internal\"}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !firstHash.equals(harness.get("setup").getStatus().getInputsHash()));
    harness.awaitDecided("setup", 0);
    assertThat(harness.lambda.invocations()).hasSize(2);
    assertThat(harness.get("setup").getStatus().isReady()).isTrue();
  }

  @Test
  void aChangeWhileACallIsRunningInvokesOnceMoreAfterIt() {
    var release = new java.util.concurrent.CountDownLatch(1);
    harness.lambda.function(
        "slow", OperatorHarness.heldUntil(release, FunctionOutcome.json(Map.of())));
    configMap("db", Map.of("host", "db-1.internal"));
    var resource = invocation("setup", "slow", "{}");
    resource.getSpec().setPayloadFrom(List.of(fromConfigMap("/host", "db", "host")));
    harness.create(resource);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.lambda.invocations().size() == 1);
      int startedBefore = harness.reconcilesStarted("setup");

      // The call is still running (held) when the operator reconciles the change: its finish
      // must not swallow the change.
      configMap("db", Map.of("host", "db-2.internal"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> harness.reconciles().settledSince(NAMESPACE + "/setup", startedBefore));
      assertThat(harness.operator().inFlight()).isEqualTo(1);
    } finally {
      release.countDown();
    }

    await().atMost(Duration.ofSeconds(15)).until(() -> harness.lambda.invocations().size() == 2);
    assertThat(body(0)).isEqualTo("{\"host\":\"db-1.internal\"}");
    assertThat(body(1)).isEqualTo("{\"host\":\"db-2.internal\"}");
    harness.awaitCallStored("setup", "slow");
    assertThat(harness.lambda.invocations()).hasSize(2);
    harness.awaitReason("setup", "Invoked");
  }

  @Test
  void aCallStillWaitingForASlotIsNotMadeOnceItsInputIsGone() throws Exception {
    var release = new java.util.concurrent.CountDownLatch(1);
    harness.lambda.function(
        "held", OperatorHarness.heldUntil(release, FunctionOutcome.json(Map.of())));
    secret("db-credentials", Map.of("password", "pa55word"));
    try {
      // Every slot under the in-flight limit (4) is taken: the next call waits for one.
      for (int i = 0; i < 4; i++) {
        harness.create(invocation("held-" + i, "held", "{}"));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.operator().inFlight() == 4);
      var resource = invocation("setup", "setup", "{}");
      resource
          .getSpec()
          .setPayloadFrom(List.of(fromSecret("/password", "db-credentials", "password")));
      harness.create(resource);
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.operator().waiting() == 1);

      // The Secret is deleted (a credential withdrawn): its old value is not sent any more.
      harness.client().secrets().inNamespace(NAMESPACE).withName("db-credentials").delete();

      harness.awaitReason("setup", "InputMissing");
    } finally {
      release.countDown();
    }
    // The held calls end and are stored; a call of setup still queued would run now.
    harness.awaitDecided("setup", 0);
    for (int i = 0; i < 4; i++) {
      harness.awaitReason("held-" + i, "Invoked");
    }
    harness.awaitDecided("setup", 0);
    assertThat(harness.lambda.invocationCount("setup")).isZero();
  }

  @Test
  void anotherInvocationsResultCanBeAnInputAndItsChangeInvokesOnce() {
    var counter = new java.util.concurrent.atomic.AtomicInteger();
    harness.lambda.function(
        "issuer",
        call -> FunctionOutcome.json(Map.of("api_key", "key-" + counter.incrementAndGet())));
    var issuer = invocation("issuer", "issuer", "{}");
    OperatorHarness.secretSpec(issuer).setKeys(Map.of("api_key", "/api_key"));
    harness.create(issuer);
    harness.awaitReason("issuer", "Invoked");
    var consumer = invocation("consumer", "setup", "{}");
    consumer.getSpec().setPayloadFrom(List.of(fromSecret("/key", "issuer", "api_key")));
    harness.create(consumer);
    harness.awaitReason("consumer", "Invoked");

    // A new result for the issuer: its Secret changes, and the consumer is invoked with it.
    OperatorHarness.edit(
        harness.client(),
        "issuer",
        r -> {
          r.getMetadata()
              .setAnnotations(
                  Map.of(LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION, "2026-12-01T00:00:00Z"));
          return r;
        });

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> harness.lambda.invocationCount("setup") == 2);
    assertThat(
            harness.lambda.invocations().stream()
                .filter(c -> c.functionName().equals("setup"))
                .map(c -> new String(c.body(), StandardCharsets.UTF_8)))
        .containsExactly("{\"key\":\"key-1\"}", "{\"key\":\"key-2\"}");
    harness.awaitCallStored("consumer", "setup");
    assertThat(harness.lambda.invocationCount("setup")).isEqualTo(2);
  }

  @Test
  void changesOfAnythingElseInvokeNothing() {
    configMap("db", Map.of("host", "db.internal", "unused", "1"));
    secret("db-credentials", Map.of("password", "pa55word", "unused", "1"));
    var resource = invocation("setup", "setup", "{}");
    resource
        .getSpec()
        .setPayloadFrom(
            List.of(
                fromConfigMap("/host", "db", "host"),
                fromSecret("/password", "db-credentials", "password")));
    harness.create(resource);
    harness.awaitReason("setup", "Invoked");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> harness.reconciles().counts().getOrDefault(NAMESPACE + "/setup", 0) >= 2);
    harness.awaitDecided("setup", 0);
    int reconcilesBefore = harness.reconciles().counts().get(NAMESPACE + "/setup");
    int startedBefore = harness.reconcilesStarted("setup");

    // Other objects: not even a reconcile.
    configMap("other", Map.of("host", "elsewhere"));
    configMap("other", Map.of("host", "elsewhere-2"));
    secret("other-credentials", Map.of("password", "x"));
    // The referenced objects, but keys no entry reads: a reconcile, no call.
    configMap("db", Map.of("host", "db.internal", "unused", "2"));
    secret("db-credentials", Map.of("password", "pa55word", "unused", "2"));

    harness.awaitDecided("setup", startedBefore);
    // The two edits may come as two reconciles: a short look that no call follows the second.
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> harness.lambda.invocations().size() == 1);
    assertThat(harness.get("setup").getStatus().isReady()).isTrue();
    // Only the two edits of referenced objects reconcile (the framework may fold them into one).
    assertThat(harness.reconciles().counts().get(NAMESPACE + "/setup") - reconcilesBefore)
        .isBetween(1, 2);
  }

  @Test
  void aMissingConfigMapIsInputMissingUntilItIsCreatedThenInvokesOnce() {
    var resource = invocation("setup", "setup", "{}");
    resource.getSpec().setPayloadFrom(List.of(fromConfigMap("/host", "db", "host")));
    harness.create(resource);

    LambdaInvocation missing = harness.awaitReason("setup", "InputMissing");
    assertThat(missing.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("ConfigMap db")
        .contains("spec.payloadFrom[0]");
    assertThat(
            missing.getStatus().condition(LambdaInvocationStatus.STALLED).orElseThrow().getStatus())
        .isEqualTo("True");
    assertThat(harness.lambda.invocations()).isEmpty();

    // The object exists now, but not the key.
    configMap("db", Map.of("port", "5432"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                harness
                    .get("setup")
                    .getStatus()
                    .readyCondition()
                    .orElseThrow()
                    .getMessage()
                    .contains("has no key host"));
    assertThat(harness.lambda.invocations()).isEmpty();

    configMap("db", Map.of("host", "db.internal"));
    harness.awaitReason("setup", "Invoked");
    harness.awaitDecided("setup", 0);
    assertThat(harness.lambda.invocations()).hasSize(1);
    assertThat(body(0)).isEqualTo("{\"host\":\"db.internal\"}");
  }

  @Test
  void anInputDeletedAndCreatedAgainWithTheSameValueInvokesOnceMore() {
    configMap("db", Map.of("host", "db.internal"));
    var resource = invocation("setup", "setup", "{}");
    resource.getSpec().setPayloadFrom(List.of(fromConfigMap("/host", "db", "host")));
    harness.create(resource);
    harness.awaitReason("setup", "Invoked");

    harness.client().configMaps().inNamespace(NAMESPACE).withName("db").delete();
    harness.awaitReason("setup", "InputMissing");
    configMap("db", Map.of("host", "db.internal"));

    harness.awaitReason("setup", "Invoked");
    harness.awaitDecided("setup", 0);
    assertThat(harness.lambda.invocations()).hasSize(2);
  }

  @Test
  void anOptionalInputThatIsMissingLeavesThePayloadAsItIsAndItsArrivalInvokes() {
    var resource = invocation("setup", "setup", "{\"host\":\"default\"}");
    var optional = fromConfigMap("/host", "db", "host");
    optional.getConfigMapKeyRef().setOptional(true);
    resource.getSpec().setPayloadFrom(List.of(optional));
    harness.create(resource);
    harness.awaitReason("setup", "Invoked");
    assertThat(body(0)).isEqualTo("{\"host\":\"default\"}");

    configMap("db", Map.of("host", "db.internal"));

    await().atMost(Duration.ofSeconds(10)).until(() -> harness.lambda.invocations().size() == 2);
    assertThat(body(1)).isEqualTo("{\"host\":\"db.internal\"}");
  }

  @Test
  void aValueThatDoesNotFitThePayloadIsReportedAndInvokesNothing() {
    configMap("db", Map.of("host", "db.internal", "flags", "not json"));
    // The payload is a string: a pointer into it has nowhere to go.
    var scalar = invocation("scalar", "setup", "\"text\"");
    scalar.getSpec().setPayloadFrom(List.of(fromConfigMap("/host", "db", "host")));
    harness.create(scalar);
    var notJson = invocation("not-json", "setup", "{}");
    notJson.getSpec().setPayloadFrom(List.of(json(fromConfigMap("/flags", "db", "flags"))));
    harness.create(notJson);

    assertThat(
            harness
                .awaitReason("scalar", "InvalidSpec")
                .getStatus()
                .readyCondition()
                .orElseThrow()
                .getMessage())
        .contains("spec.payloadFrom[0].pointer")
        .contains("is a string");
    assertThat(
            harness
                .awaitReason("not-json", "InputMissing")
                .getStatus()
                .readyCondition()
                .orElseThrow()
                .getMessage())
        .contains("ConfigMap db, key flags")
        .contains("not JSON")
        .doesNotContain("not json");
    assertThat(harness.lambda.invocations()).isEmpty();
  }

  private String body(int index) {
    return new String(harness.lambda.invocations().get(index).body(), StandardCharsets.UTF_8);
  }

  private void configMap(String name, Map<String, String> data) {
    harness
        .client()
        .configMaps()
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withData(data)
                .build())
        .createOr(existing -> existing.update());
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

  static PayloadInput fromConfigMap(String pointer, String name, String key) {
    var input = new PayloadInput();
    input.setPointer(pointer);
    input.setConfigMapKeyRef(new KeyReference(name, key));
    return input;
  }

  static PayloadInput fromSecret(String pointer, String name, String key) {
    var input = new PayloadInput();
    input.setPointer(pointer);
    input.setSecretKeyRef(new KeyReference(name, key));
    return input;
  }

  static PayloadInput json(PayloadInput input) {
    input.setFormat("Json");
    return input;
  }
}
