package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.RecordedInvocation;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When the function is invoked, and what goes where, end to end. */
class InvocationLifecycleTest {

  private static final String LOG_TEXT =
      "START RequestId: 1\nissued key for api\nEND RequestId: 1\n";

  private OperatorHarness harness;
  private final AtomicInteger counter = new AtomicInteger();

  @BeforeEach
  void start() {
    harness = OperatorHarness.start();
    harness
        .lambda
        .function(
            "secret-generator",
            call ->
                FunctionOutcome.result(
                    ("{\"api_key\":\"key-" + counter.incrementAndGet() + "\",\"service\":\"api\"}")
                        .getBytes(StandardCharsets.UTF_8),
                    LOG_TEXT))
        .version("secret-generator", "1")
        .version("secret-generator", "2")
        .version("secret-generator", "3")
        .alias("secret-generator", "production", "3")
        .function(
            "constant",
            call -> FunctionOutcome.result("{\"answer\":42}".getBytes(StandardCharsets.UTF_8)));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void createInvokesOnceAndWritesTheSecretAndStatus() {
    String clientContext =
        Base64.getEncoder().encodeToString("{\"source\":\"k8s\"}".getBytes(StandardCharsets.UTF_8));
    var resource = invocation("api-key", "secret-generator", "{\"service\":\"api\",\"length\":32}");
    resource.getSpec().setQualifier("production");
    resource.getSpec().setLogType("Tail");
    resource.getSpec().setClientContext(clientContext);
    secretSpec(resource).setKeys(Map.of("api_key", "/api_key"));
    LambdaInvocation created = harness.create(resource);

    LambdaInvocation ready = harness.awaitReason("api-key", "Invoked");

    assertThat(harness.lambda.invocations()).hasSize(1);
    RecordedInvocation call = harness.lambda.invocations().get(0);
    assertThat(call.rawPath()).isEqualTo("/2015-03-31/functions/secret-generator/invocations");
    assertThat(call.qualifier()).isEqualTo("production");
    assertThat(call.header("X-Amz-Invocation-Type")).isEqualTo("RequestResponse");
    assertThat(call.header("X-Amz-Log-Type")).isEqualTo("Tail");
    assertThat(call.header("X-Amz-Client-Context")).isEqualTo(clientContext);
    assertThat(new String(call.body(), StandardCharsets.UTF_8))
        .isEqualTo("{\"service\":\"api\",\"length\":32}");
    assertThat(call.signedWithSigV4()).isTrue();
    assertThat(call.header("authorization")).contains("/eu-west-1/lambda/aws4_request");

    Secret secret = harness.secret("api-key");
    assertThat(secret.getType()).isEqualTo("Opaque");
    assertThat(secret.getStringData()).isNullOrEmpty();
    assertThat(decode(secret, "result")).isEqualTo("{\"api_key\":\"key-1\",\"service\":\"api\"}");
    assertThat(decode(secret, "log_result"))
        .isEqualTo(Base64.getEncoder().encodeToString(LOG_TEXT.getBytes(StandardCharsets.UTF_8)));
    assertThat(decode(secret, "api_key")).isEqualTo("key-1");
    assertThat(secret.getData()).containsOnlyKeys("result", "log_result", "api_key");
    assertThat(secret.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "lambda-invocation-operator")
        .containsEntry("lambda.ephemeral.dev/invocation", "api-key");
    assertThat(secret.getMetadata().getAnnotations())
        .containsKeys("lambda.ephemeral.dev/invoked-at", "lambda.ephemeral.dev/data-hash")
        .doesNotContainKey("lambda.ephemeral.dev/expires-at");
    assertThat(secret.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            ref -> {
              assertThat(ref.getUid()).isEqualTo(created.getMetadata().getUid());
              assertThat(ref.getKind()).isEqualTo("LambdaInvocation");
              assertThat(ref.getApiVersion()).isEqualTo("lambda.ephemeral.dev/v1alpha1");
              assertThat(ref.getController()).isTrue();
              assertThat(ref.getBlockOwnerDeletion()).isTrue();
            });

    var status = ready.getStatus();
    assertThat(status.getStatusCode()).isEqualTo(200);
    assertThat(status.getExecutedVersion()).isEqualTo("3");
    assertThat(status.getSecretName()).isEqualTo("api-key");
    assertThat(status.getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
    assertThat(status.getLastInvocationTime()).isNotNull();
    assertThat(status.getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus())
        .containsExactly("Ready=True", "Reconciling=False", "Stalled=False");
    assertThat(status.getNextRefreshTime()).isNull();
    assertThat(status.getExpiryTime()).isNull();
    assertThat(status.readyCondition())
        .hasValueSatisfying(
            c -> {
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getReason()).isEqualTo("Invoked");
              assertThat(c.getMessage()).isEqualTo("result written to Secret api-key");
              assertThat(c.getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
              assertThat(c.getLastTransitionTime()).isNotNull();
            });
  }

  @Test
  void readyResourceWithNoTriggerIsLeftAlone() {
    harness.create(invocation("idle", "constant", "{}"));
    LambdaInvocation ready = harness.awaitReason("idle", "Invoked");
    String resourceVersion = ready.getMetadata().getResourceVersion();
    String secretVersion = harness.secret("idle").getMetadata().getResourceVersion();
    harness.awaitDecided("idle", 0);
    assertNoWakeUpPlanned("idle");

    // Nothing planned and nothing to react to: a short look that nothing moves after all.
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(
            () ->
                harness.lambda.invocationCount("constant") == 1
                    && resourceVersion.equals(
                        harness.get("idle").getMetadata().getResourceVersion())
                    && secretVersion.equals(
                        harness.secret("idle").getMetadata().getResourceVersion()));
  }

  @Test
  void specChangeInvokesOnceAndUpdatesTheSecret() {
    harness.create(invocation("api-key", "secret-generator", "{\"length\":16}"));
    harness.awaitReason("api-key", "Invoked");

    OperatorHarness.edit(
        harness.client(),
        "api-key",
        r -> {
          r.getSpec().setPayload(OperatorHarness.json("{\"length\":32}"));
          return r;
        });

    harness.awaitResource(
        "api-key",
        r ->
            r.getMetadata().getGeneration() == 2
                && Long.valueOf(2).equals(r.getStatus().getObservedGeneration())
                && r.getStatus().isReady());
    assertThat(decode(harness.secret("api-key"), "result")).contains("key-2");
    assertOneMoreInvocationOnly("api-key", "secret-generator", 2);
    assertThat(new String(harness.lambda.invocations().get(1).body(), StandardCharsets.UTF_8))
        .isEqualTo("{\"length\":32}");
  }

  @Test
  void newInvokeRequestedAtValueInvokesOnce() {
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "Invoked");

    OperatorHarness.requestInvocation(harness.client(), "api-key", "2026-11-26T10:00:00Z");

    LambdaInvocation after =
        harness.awaitResource(
            "api-key",
            r -> "2026-11-26T10:00:00Z".equals(r.getStatus().getLastHandledInvokeRequest()));
    assertThat(after.getMetadata().getGeneration()).isEqualTo(1);
    assertThat(decode(harness.secret("api-key"), "result")).contains("key-2");
    assertOneMoreInvocationOnly("api-key", "secret-generator", 2);
  }

  @Test
  void deletedSecretIsRecreatedByANewInvocation() {
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "Invoked");

    harness.client().secrets().inNamespace(NAMESPACE).withName("api-key").delete();

    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              Secret secret = harness.secret("api-key");
              return secret != null && decode(secret, "result").contains("key-2");
            });
    assertOneMoreInvocationOnly("api-key", "secret-generator", 2);
  }

  @Test
  void secretDataEditedByAUserIsRestoredByANewInvocation() {
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "Invoked");

    harness
        .client()
        .secrets()
        .inNamespace(NAMESPACE)
        .withName("api-key")
        .edit(
            s -> {
              s.getData()
                  .put(
                      "result",
                      Base64.getEncoder()
                          .encodeToString("tampered".getBytes(StandardCharsets.UTF_8)));
              return s;
            });

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> decode(harness.secret("api-key"), "result").contains("key-2"));
    assertOneMoreInvocationOnly("api-key", "secret-generator", 2);
  }

  @Test
  void refreshInvokesAgainAndSameDataMovesOnlyTheExpiry() {
    var resource = invocation("answer", "constant", "{}");
    resource.getSpec().setRefreshInterval("2s");
    secretSpec(resource).setTtl("1h");
    harness.create(resource);
    harness.awaitReason("answer", "Invoked");
    Secret first = harness.secret("answer");
    String firstExpiry =
        first.getMetadata().getAnnotations().get("lambda.ephemeral.dev/expires-at");

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> harness.lambda.invocationCount("constant") >= 2);
    Secret second =
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () -> harness.secret("answer"),
                s ->
                    !firstExpiry.equals(
                        s.getMetadata().getAnnotations().get("lambda.ephemeral.dev/expires-at")));

    assertThat(second.getData()).isEqualTo(first.getData());
    assertThat(
            Instant.parse(
                second.getMetadata().getAnnotations().get("lambda.ephemeral.dev/expires-at")))
        .isAfter(Instant.parse(firstExpiry));
    LambdaInvocation refreshed = harness.get("answer");
    assertThat(Instant.parse(refreshed.getStatus().getNextRefreshTime()))
        .isAfter(Instant.parse(refreshed.getStatus().getLastInvocationTime()));
  }

  @Test
  void ttlDeletesTheSecretWithoutInvokingAndExpiredSurvivesARestart() {
    var resource = invocation("short", "constant", "{}");
    secretSpec(resource).setTtl("2s");
    harness.create(resource);
    LambdaInvocation ready = harness.awaitReason("short", "Invoked");
    assertThat(harness.secret("short").getMetadata().getAnnotations())
        .containsEntry("lambda.ephemeral.dev/expires-at", ready.getStatus().getExpiryTime());

    LambdaInvocation expired = harness.awaitReason("short", "Expired");
    assertThat(expired.getStatus().readyCondition())
        .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
    assertThat(harness.secret("short")).isNull();
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(1);
    int startedBefore = harness.reconcilesStarted("short");

    harness.restartOperator();

    // The new process reconciles it on start and decides to do nothing.
    harness.awaitDecided("short", startedBefore);
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(1);
    assertThat(harness.get("short").getStatus().hasReason("Expired")).isTrue();
    assertThat(harness.secret("short")).isNull();

    OperatorHarness.requestInvocation(harness.client(), "short", "again");
    harness.awaitReason("short", "Invoked");
    assertThat(harness.secret("short")).isNotNull();
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(2);
  }

  @Test
  void operatorRestartInvokesEachLiveResourceOnce() {
    harness.create(invocation("one", "constant", "{\"n\":1}"));
    harness.create(invocation("two", "constant", "{\"n\":2}"));
    harness.awaitReason("one", "Invoked");
    harness.awaitReason("two", "Invoked");
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(2);
    int oneBefore = harness.reconcilesStarted("one");
    int twoBefore = harness.reconcilesStarted("two");

    harness.restartOperator();

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> harness.lambda.invocationCount("constant") == 4);
    // One reconcile on start makes the call, the next stores it; once that one is done with no
    // call queued and no wake-up planned, no other call is coming.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                harness.reconcilesStarted("one") >= oneBefore + 2
                    && harness.reconcilesStarted("two") >= twoBefore + 2);
    harness.awaitDecided("one", oneBefore);
    harness.awaitDecided("two", twoBefore);
    assertNoWakeUpPlanned("one");
    assertNoWakeUpPlanned("two");
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(4);
    assertThat(harness.lambda.invocations())
        .extracting(call -> new String(call.body(), StandardCharsets.UTF_8))
        .containsExactlyInAnyOrder("{\"n\":1}", "{\"n\":2}", "{\"n\":1}", "{\"n\":2}");
  }

  @Test
  void recreatedResourceTakesOverTheSecretItsPredecessorLeft() {
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "Invoked");
    // kubectl replace / Argo CD Replace=true: the resource goes and comes back before garbage
    // collection (which the in-process API does not do) removes the old Secret.
    harness.client().resources(LambdaInvocation.class).inNamespace(NAMESPACE).withName("api-key").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.get("api-key") == null);
    LambdaInvocation second = harness.create(invocation("api-key", "secret-generator", "{}"));

    harness.awaitResource("api-key", r -> second.getMetadata().getUid().equals(r.getMetadata().getUid())
        && r.getStatus() != null && r.getStatus().hasReason("Invoked"));
    Secret secret = harness.secret("api-key");
    assertThat(secret.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(ref -> assertThat(ref.getUid()).isEqualTo(second.getMetadata().getUid()));
    assertThat(decode(secret, "result")).contains("key-2");
  }

  @Test
  void resourceReplacedDuringAnInvocationIsInvokedOnceAndGetsOnlyItsOwnStatus() {
    harness.lambda.function("slow-echo", call -> FunctionOutcome.delay(Duration.ofSeconds(2),
        FunctionOutcome.result(call.payload())));
    harness.create(invocation("replaced", "slow-echo", "{\"v\":1}"));
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.lambda.invocationCount("slow-echo") == 1);

    harness.client().resources(LambdaInvocation.class).inNamespace(NAMESPACE).withName("replaced").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.get("replaced") == null);
    LambdaInvocation second = harness.create(invocation("replaced", "slow-echo", "{\"v\":2}"));

    LambdaInvocation ready = harness.awaitResource("replaced",
        r -> r.getStatus() != null && r.getStatus().isReady()
            && decode(harness.secret("replaced"), "result").equals("{\"v\":2}"));
    assertThat(ready.getMetadata().getUid()).isEqualTo(second.getMetadata().getUid());
    assertOneMoreInvocationOnly("replaced", "slow-echo", 2);
    assertThat(harness.secret("replaced").getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(ref -> assertThat(ref.getUid()).isEqualTo(second.getMetadata().getUid()));
  }

  @Test
  void rewrittenSecretKeepsWhatOtherToolsAddedToIt() {
    var resource = invocation("api-key", "secret-generator", "{}");
    resource.getSpec().setRefreshInterval("1s");
    harness.create(resource);
    harness.awaitReason("api-key", "Invoked");
    harness.client().secrets().inNamespace(NAMESPACE).withName("api-key").edit(s -> {
      s.getMetadata().getLabels().put("backup.example.com/include", "true");
      s.getMetadata().getAnnotations().put("reloader.example.com/match", "true");
      return s;
    });

    await().atMost(Duration.ofSeconds(10))
        .until(() -> decode(harness.secret("api-key"), "result").contains("key-3"));
    Secret secret = harness.secret("api-key");
    assertThat(secret.getMetadata().getLabels()).containsEntry("backup.example.com/include", "true");
    assertThat(secret.getMetadata().getAnnotations()).containsEntry("reloader.example.com/match", "true");
  }

  @Test
  void secretOfAResourceWhoseSpecTurnedInvalidStillExpires() {
    var resource = invocation("short", "constant", "{}");
    secretSpec(resource).setTtl("3s");
    harness.create(resource);
    harness.awaitReason("short", "Invoked");

    OperatorHarness.edit(harness.client(), "short", r -> {
      r.getSpec().setTimeout("0s");
      return r;
    });
    harness.awaitReason("short", "InvalidSpec");
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.secret("short") == null);
    assertThat(harness.get("short").getStatus().hasReason("InvalidSpec")).isTrue();
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(1);
  }


  /**
   * The caller saw the new call's result stored: once the operator is done deciding with no call
   * queued, and the status plans no wake-up, {@code function}'s count is final.
   */
  private void assertOneMoreInvocationOnly(String name, String function, long expected) {
    harness.awaitDecided(name, 0);
    assertNoWakeUpPlanned(name);
    assertThat(harness.lambda.invocationCount(function)).isEqualTo(expected);
  }

  /** The operator's next wake-up comes from these status times: with none, it plans none. */
  private void assertNoWakeUpPlanned(String name) {
    var status = harness.get(name).getStatus();
    assertThat(status.getNextRetryTime()).as("nextRetryTime").isNull();
    assertThat(status.getNextRefreshTime()).as("nextRefreshTime").isNull();
    assertThat(status.getExpiryTime()).as("expiryTime").isNull();
  }

  static String decode(Secret secret, String key) {
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}
