package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.OnDeleteSpec;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.RecordedInvocation;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * spec.onDelete end to end: the finalizer is there only with onDelete, the delete-time call carries
 * its payload and is made once, failures are retried and then given up with a Warning Event, and
 * nothing of that call's response is kept anywhere.
 */
class OnDeleteTest {

  private static final String FINALIZER = "lambda.ephemeral.dev/on-delete";
  private static final String REVOKE = "{\"action\":\"revoke\",\"key\":\"api\"}";

  /** What the credential function returns when asked to revoke: must end up nowhere. */
  private static final String REVOKED_SENTINEL = "R3V0KED-5ENT1NEL-do-not-keep";

  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.start();
    harness.lambda.function(
        "credential-generator",
        call -> {
          String payload = new String(call.payload(), StandardCharsets.UTF_8);
          return payload.contains("revoke")
              ? FunctionOutcome.result(
                  ("{\"revoked\":\"" + REVOKED_SENTINEL + "\"}").getBytes(StandardCharsets.UTF_8),
                  "revoking " + REVOKED_SENTINEL + "\n")
              : FunctionOutcome.json(java.util.Map.of("api_key", "key-1"));
        });
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void deleteInvokesOnceMoreWithTheOnDeletePayloadThenTheResourceGoes() {
    String clientContext =
        Base64.getEncoder().encodeToString("{\"source\":\"k8s\"}".getBytes(StandardCharsets.UTF_8));
    var resource = withOnDelete(invocation("api-key", "credential-generator", "{\"length\":32}"));
    resource.getSpec().setClientContext(clientContext);
    resource.getSpec().setTimeout("30s");
    harness.create(resource);
    LambdaInvocation ready = harness.awaitReason("api-key", "Invoked");
    assertThat(ready.getMetadata().getFinalizers()).containsExactly(FINALIZER);

    delete("api-key");

    awaitGone("api-key");
    assertThat(harness.lambda.invocations()).hasSize(2);
    RecordedInvocation onDelete = harness.lambda.invocations().get(1);
    assertThat(new String(onDelete.body(), StandardCharsets.UTF_8)).isEqualTo(REVOKE);
    assertThat(onDelete.functionName()).isEqualTo("credential-generator");
    assertThat(onDelete.header("X-Amz-Client-Context")).isEqualTo(clientContext);
    assertThat(onDelete.header("X-Amz-Invocation-Type")).isEqualTo("RequestResponse");
    // Exactly once: nothing calls again after the resource is gone (its last reconcile over,
    // nothing queued).
    harness.awaitDecided("api-key", 0);
    assertThat(harness.lambda.invocationCount("credential-generator")).isEqualTo(2);
  }

  @Test
  void withoutOnDeleteThereIsNoFinalizerAndNoCallAtDeletion() {
    harness.create(invocation("plain", "credential-generator", "{}"));
    LambdaInvocation ready = harness.awaitReason("plain", "Invoked");
    assertThat(ready.getMetadata().getFinalizers()).isNullOrEmpty();

    delete("plain");

    awaitGone("plain");
    harness.awaitDecided("plain", 0);
    assertThat(harness.lambda.invocationCount("credential-generator")).isEqualTo(1);
  }

  @Test
  void addingOrRemovingOnDeleteIsASpecChangeAndMovesTheFinalizer() {
    harness.create(invocation("api-key", "credential-generator", "{}"));
    harness.awaitReason("api-key", "Invoked");

    OperatorHarness.edit(harness.client(), "api-key", OnDeleteTest::withOnDelete);
    harness.awaitResource(
        "api-key",
        r ->
            r.getMetadata().getFinalizers().contains(FINALIZER)
                && Long.valueOf(2).equals(r.getStatus().getObservedGeneration()));
    OperatorHarness.edit(
        harness.client(),
        "api-key",
        r -> {
          r.getSpec().setOnDelete(null);
          return r;
        });
    harness.awaitResource(
        "api-key",
        r ->
            r.getMetadata().getFinalizers().isEmpty()
                && Long.valueOf(3).equals(r.getStatus().getObservedGeneration()));
    // Each edit is a spec change: it invokes once, as any spec change does.
    assertThat(harness.lambda.invocationCount("credential-generator")).isEqualTo(3);

    delete("api-key");

    awaitGone("api-key");
    assertThat(harness.lambda.invocations())
        .noneMatch(c -> new String(c.body(), StandardCharsets.UTF_8).contains("revoke"));
  }

  @Test
  void failingDeleteCallIsRetriedThenGivenUpWithAWarningEvent() {
    failOnRevoke("revoker");
    harness.create(withOnDelete(invocation("api-key", "revoker", "{}")));
    harness.awaitReason("api-key", "Invoked");

    delete("api-key");

    awaitGone("api-key");
    // The first call and RETRY_MAX_RETRIES (2 in these tests) retries.
    assertThat(harness.lambda.invocationCount("revoker")).isEqualTo(1 + 3);
    assertThat(onDeleteFailedEvents())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getInvolvedObject().getName()).isEqualTo("api-key");
              assertThat(e.getMessage())
                  .contains("FunctionError")
                  .contains("RevokeFailed")
                  .contains("retries are spent")
                  .contains(FINALIZER);
            });
  }

  @Test
  void anOperatorRestartContinuesTheDeleteTimeRetriesFromTheStatus() {
    harness.close();
    // Retries far enough apart to restart the operator between two of them.
    harness =
        OperatorHarness.start(
            new RetryPolicy(Duration.ofSeconds(2), Duration.ofSeconds(2), 2, Duration.ofSeconds(2)));
    failOnRevoke("revoker");
    harness.create(withOnDelete(invocation("api-key", "revoker", "{}")));
    harness.awaitReason("api-key", "Invoked");

    delete("api-key");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              var r = harness.get("api-key");
              return r.getStatus().getOnDelete() != null
                  && Integer.valueOf(1).equals(r.getStatus().getOnDelete().getFailedAttempts());
            });
    assertThat(harness.get("api-key").getStatus().getOnDelete().getLastFailure())
        .contains("FunctionError")
        .contains("RevokeFailed");
    harness.restartOperator();

    awaitGone("api-key");
    // The regular call, then the first delete-time call and its 2 retries: the restart did not
    // start the count over.
    assertThat(harness.lambda.invocationCount("revoker")).isEqualTo(1 + 1 + 2);
    assertThat(onDeleteFailedEvents())
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains("2 retries are spent"));
  }

  @Test
  void accessDeniedAtDeletionIsRetriedLikeAnyTransientFailureThenGivenUp() {
    harness.lambda.function(
        "guarded",
        call ->
            new String(call.payload(), StandardCharsets.UTF_8).contains("revoke")
                ? FunctionOutcome.apiError(
                    403, "AccessDeniedException", "User is not authorized to perform this action")
                : FunctionOutcome.json(java.util.Map.of("api_key", "k")));
    harness.create(withOnDelete(invocation("api-key", "guarded", "{}")));
    harness.awaitReason("api-key", "Invoked");

    delete("api-key");

    awaitGone("api-key");
    assertThat(harness.lambda.invocationCount("guarded")).isEqualTo(1 + 3);
    assertThat(onDeleteFailedEvents())
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains("AccessDenied").contains("retries"));
  }

  @Test
  void aCallUnderWayAtDeletionFinishesUnstoredThenTheDeleteCallIsMade() throws Exception {
    var release = new CountDownLatch(1);
    harness.lambda.function(
        "slow-issuer",
        call -> {
          if (!new String(call.payload(), StandardCharsets.UTF_8).contains("revoke")) {
            try {
              release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return FunctionOutcome.json(java.util.Map.of("api_key", "issued"));
        });
    harness.create(withOnDelete(invocation("api-key", "slow-issuer", "{}")));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> harness.lambda.invocationCount("slow-issuer") == 1);
    assertThat(harness.get("api-key").getMetadata().getFinalizers()).containsExactly(FINALIZER);

    delete("api-key");
    release.countDown();

    awaitGone("api-key");
    assertThat(harness.lambda.invocationCount("slow-issuer")).isEqualTo(2);
    assertThat(new String(harness.lambda.invocations().get(1).body(), StandardCharsets.UTF_8))
        .isEqualTo(REVOKE);
    // The result of the call made before the deletion is not stored: the resource is going.
    assertThat(harness.secret("api-key")).isNull();
  }

  /** Takes every slot under the in-flight limit (4) with a call held until {@code release}. */
  private void fillEverySlot(CountDownLatch release) {
    harness.lambda.function(
        "held",
        OperatorHarness.heldUntil(release, FunctionOutcome.json(java.util.Map.of("k", "v"))));
    for (int i = 0; i < 4; i++) {
      harness.create(invocation("held-" + i, "held", "{}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.operator().inFlight() == 4);
  }

  @Test
  void aCallStillWaitingForASlotAtDeletionIsNotMadeOnlyTheDeleteCall() {
    var release = new CountDownLatch(1);
    try {
      fillEverySlot(release);
      harness.create(withOnDelete(invocation("api-key", "credential-generator", "{}")));
      harness.create(invocation("plain", "credential-generator", "{}"));
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.operator().waiting() == 2);

      delete("api-key");
      delete("plain");
      awaitGone("plain");
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.operator().waiting() == 1);
    } finally {
      release.countDown();
    }

    awaitGone("api-key");
    // Only the delete-time call: the regular calls were never made, for resources being deleted.
    assertThat(harness.lambda.invocations())
        .filteredOn(c -> c.functionName().equals("credential-generator"))
        .extracting(c -> new String(c.body(), StandardCharsets.UTF_8))
        .containsExactly(REVOKE);
    // The slots are free again: a regular call still queued would run now.
    harness.awaitDecided("plain", 0);
    harness.awaitDecided("api-key", 0);
    assertThat(harness.lambda.invocationCount("credential-generator")).isEqualTo(1);
  }

  @Test
  void functionNotFoundAtDeletionReleasesAtOnce() {
    harness.lambda.function(
        "vanishing",
        call ->
            new String(call.payload(), StandardCharsets.UTF_8).contains("revoke")
                ? FunctionOutcome.apiError(
                    404,
                    "ResourceNotFoundException",
                    "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:vanishing")
                : FunctionOutcome.json(java.util.Map.of("api_key", "k")));
    harness.create(withOnDelete(invocation("api-key", "vanishing", "{}")));
    harness.awaitReason("api-key", "Invoked");

    delete("api-key");

    awaitGone("api-key");
    assertThat(harness.lambda.invocationCount("vanishing")).isEqualTo(2);
    assertThat(onDeleteFailedEvents())
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains("FunctionNotFound"));
  }

  @Test
  void invalidSpecAtDeletionReleasesWithoutACall() {
    harness.create(withOnDelete(invocation("api-key", "credential-generator", "{}")));
    harness.awaitReason("api-key", "Invoked");
    // The in-process API server applies no schema: the operator's own check refuses the spec.
    OperatorHarness.edit(
        harness.client(),
        "api-key",
        r -> {
          r.getSpec().setTimeout("forever");
          return r;
        });
    harness.awaitReason("api-key", "InvalidSpec");

    delete("api-key");

    awaitGone("api-key");
    assertThat(harness.lambda.invocationCount("credential-generator")).isEqualTo(1);
    assertThat(onDeleteFailedEvents())
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains("spec.timeout"));
  }

  @Test
  void inANamespaceBeingDeletedAFailedCallIsNotRetried() {
    harness
        .client()
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(NAMESPACE)
                .withFinalizers("example.com/hold")
                .endMetadata()
                .build())
        .create();
    failOnRevoke("revoker");
    harness.create(withOnDelete(invocation("api-key", "revoker", "{}")));
    harness.awaitReason("api-key", "Invoked");

    harness.client().namespaces().withName(NAMESPACE).delete();
    delete("api-key");

    awaitGone("api-key");
    assertThat(harness.lambda.invocationCount("revoker")).isEqualTo(2);
  }

  @Test
  void theDeleteCallsResponseIsKeptNowhere() {
    try (var logs = TraceLogs.capture("dev.ephemeral.lambda", "io.javaoperatorsdk")) {
      var resource = withOnDelete(invocation("api-key", "credential-generator", "{}"));
      resource.getSpec().setLogType("Tail");
      harness.create(resource);
      harness.awaitReason("api-key", "Invoked");

      delete("api-key");
      awaitGone("api-key");

      assertThat(harness.lambda.invocationCount("credential-generator")).isEqualTo(2);
      // The Secret of the first call stays (the in-process API server collects no garbage): it
      // holds that call's result only.
      var secrets = harness.client().secrets().inNamespace(NAMESPACE).list().getItems();
      assertThat(secrets).isNotEmpty();
      for (var secret : secrets) {
        assertThat(Serialization.asJson(secret)).doesNotContain(REVOKED_SENTINEL);
        secret
            .getData()
            .values()
            .forEach(
                value ->
                    assertThat(Base64.getDecoder().decode(value))
                        .asString(StandardCharsets.UTF_8)
                        .doesNotContain(REVOKED_SENTINEL));
      }
      assertThat(Serialization.asJson(harness.client().v1().events().inNamespace(NAMESPACE).list()))
          .doesNotContain(REVOKED_SENTINEL);
      assertThat(harness.registry.scrape()).doesNotContain(REVOKED_SENTINEL);
      for (ILoggingEvent event : logs.events()) {
        String line = event.getFormattedMessage() + " " + event.getKeyValuePairs();
        assertThat(line).as("log line from %s", event.getLoggerName()).doesNotContain("R3V0KED");
      }
      logs.assertNoLineContains(List.of("R3V0KED"));
    }
  }

  private static LambdaInvocation withOnDelete(LambdaInvocation resource) {
    var onDelete = new OnDeleteSpec();
    onDelete.setPayload(json(REVOKE));
    resource.getSpec().setOnDelete(onDelete);
    return resource;
  }

  /** A function that hands out a key, and fails with a function error when asked to revoke. */
  private void failOnRevoke(String function) {
    harness.lambda.function(
        function,
        call ->
            new String(call.payload(), StandardCharsets.UTF_8).contains("revoke")
                ? FunctionOutcome.functionError("Unhandled", "RevokeFailed", "no", null)
                : FunctionOutcome.json(java.util.Map.of("api_key", "k")));
  }

  private void delete(String name) {
    harness
        .client()
        .resources(LambdaInvocation.class)
        .inNamespace(NAMESPACE)
        .withName(name)
        .delete();
  }

  private void awaitGone(String name) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> harness.get(name) == null);
  }

  private List<Event> onDeleteFailedEvents() {
    return harness.client().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> "OnDeleteFailed".equals(e.getReason()))
        .toList();
  }
}
