package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Errors and retries: each failure class gives its reason and is retried exactly as the
 * table says, counted at the Lambda endpoint. Retries run at test speed: backoff 300ms doubling, 2
 * retries; slow retries every 2s.
 */
class InvocationErrorsTest {

  private static OperatorHarness harness;

  @BeforeAll
  static void start() {
    harness = OperatorHarness.start();
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  static Stream<Arguments> backoffFailures() {
    return Stream.of(
        Arguments.of(
            "conflict",
            FunctionOutcome.apiError(
                409,
                "ResourceConflictException",
                "The operation cannot be performed at this time."),
            "InvocationFailed"),
        Arguments.of(
            "not-ready",
            FunctionOutcome.apiError(502, "ResourceNotReadyException", "Function is not ready"),
            "InvocationFailed"),
        Arguments.of(
            "service-error",
            FunctionOutcome.apiError(500, "ServiceException", "Internal error"),
            "InvocationFailed"),
        Arguments.of(
            "slow",
            FunctionOutcome.delay(Duration.ofSeconds(3), FunctionOutcome.json(Map.of())),
            "InvocationTimeout"));
  }

  @ParameterizedTest(name = "{0} gives {2} and is retried twice with backoff")
  @MethodSource("backoffFailures")
  void retryableFailuresAreRetriedWithBoundedBackoff(
      String function, FunctionOutcome outcome, String reason) {
    harness.lambda.function(function, call -> outcome);
    var resource = invocation(function, function, "{}");
    resource.getSpec().setTimeout("1s");
    harness.create(resource);

    LambdaInvocation failed = harness.awaitReason(function, reason);
    assertThat(failed.getStatus().isReady()).isFalse();
    // kstatus: in progress while a retry is pending.
    assertThat(conditionStatus(failed, "Reconciling")).isEqualTo("True");
    assertThat(conditionStatus(failed, "Stalled")).isEqualTo("False");

    awaitSettledCount(function, 3);
    LambdaInvocation spent = harness.get(function);
    assertThat(spent.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("retries exhausted");
    // kstatus: failed once the retries are spent, so Flux and kpt stop waiting.
    assertThat(conditionStatus(spent, "Reconciling")).isEqualTo("False");
    assertThat(conditionStatus(spent, "Stalled")).isEqualTo("True");
    assertThat(harness.secret(function)).isNull();
  }

  @Test
  void aThrottledCallIsRetriedUntilItRunsWithoutUsingUpTheRetries() {
    // Two retries in this harness; Lambda throttles four times, then lets the call run.
    var calls = new AtomicInteger();
    harness.lambda.function(
        "throttled",
        call ->
            calls.incrementAndGet() <= 4
                ? FunctionOutcome.apiError(429, "TooManyRequestsException", "Rate exceeded")
                : FunctionOutcome.json(Map.of("token", "t")));
    harness.create(invocation("throttled", "throttled", "{}"));

    LambdaInvocation waiting = harness.awaitReason("throttled", "Throttled");
    // kstatus: in progress, never stalled, while Lambda throttles.
    assertThat(conditionStatus(waiting, "Reconciling")).isEqualTo("True");
    assertThat(conditionStatus(waiting, "Stalled")).isEqualTo("False");
    assertThat(waiting.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("a throttled call is retried until it runs");
    assertThat(waiting.getStatus().getFailedAttempts()).as("no failed invocation").isNull();
    // More throttles in a row than there are retries: a person should look, and it still retries.
    LambdaInvocation persistent =
        harness.awaitResource(
            "throttled",
            r ->
                r.getStatus() != null
                    && r.getStatus().hasReason("Throttled")
                    && "True".equals(conditionStatus(r, "Stalled")));
    assertThat(persistent.getStatus().getNextRetryTime()).isNotNull();
    assertThat(persistent.getStatus().getThrottledAttempts()).isGreaterThan(2);
    assertThat(conditionStatus(persistent, "Reconciling")).isEqualTo("False");

    LambdaInvocation invoked = harness.awaitReason("throttled", "Invoked");
    assertThat(invoked.getStatus().getThrottledAttempts()).isNull();
    awaitSettledCount("throttled", 5);
  }

  @Test
  void throttlingHonoursRetryAfter() {
    var calls = new AtomicInteger();
    harness.lambda.function(
        "throttled-long",
        call ->
            calls.incrementAndGet() <= 2
                ? FunctionOutcome.apiError(429, "TooManyRequestsException", "Rate exceeded", 2)
                : FunctionOutcome.json(Map.of()));
    harness.create(invocation("throttled-long", "throttled-long", "{}"));

    harness.awaitReason("throttled-long", "Invoked");
    awaitSettledCount("throttled-long", 3);
    var invocations =
        harness.lambda.invocations().stream()
            .filter(c -> c.functionName().equals("throttled-long"))
            .toList();
    for (int i = 1; i < invocations.size(); i++) {
      assertThat(
              Duration.between(
                  invocations.get(i - 1).receivedAt(), invocations.get(i).receivedAt()))
          .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    }
  }

  @Test
  void functionErrorWritesNothingNamesKindAndTypeOnlyAndIsRetried() {
    harness.lambda.function(
        "broken",
        call ->
            FunctionOutcome.functionError(
                "Unhandled",
                "KeyError",
                "missing key 'database_password'",
                "Traceback: something"));
    harness.create(invocation("broken", "broken", "{}"));

    LambdaInvocation failed = harness.awaitReason("broken", "FunctionError");
    String message = failed.getStatus().readyCondition().orElseThrow().getMessage();
    assertThat(message)
        .contains("Unhandled")
        .contains("KeyError")
        .doesNotContain("database_password")
        .doesNotContain("Traceback");
    assertThat(harness.secret("broken")).isNull();
    awaitSettledCount("broken", 3);
  }

  static Stream<Arguments> badRequests() {
    return Stream.of(
        Arguments.of(
            "bad-content",
            FunctionOutcome.apiError(
                400, "InvalidRequestContentException", "Could not parse request body")),
        Arguments.of(
            "too-large",
            FunctionOutcome.apiError(
                413, "RequestTooLargeException", "Request must be smaller than 6291456 bytes")));
  }

  @ParameterizedTest(name = "{0} is not retried until the spec changes")
  @MethodSource("badRequests")
  void rejectedRequestsAreNotRetriedUntilTheSpecChanges(String function, FunctionOutcome outcome) {
    harness.lambda.function(function, call -> outcome);
    harness.create(invocation(function, function, "{}"));

    harness.awaitReason(function, "InvocationFailed");
    awaitSettledCount(function, 1);
    assertThat(harness.get(function).getStatus().readyCondition().orElseThrow().getMessage())
        .contains("not retried until the spec changes");

    harness.lambda.function(function, call -> FunctionOutcome.json(Map.of("ok", true)));
    OperatorHarness.edit(
        harness.client(),
        function,
        r -> {
          r.getSpec().setPayload(OperatorHarness.json("{\"fixed\":true}"));
          return r;
        });
    harness.awaitReason(function, "Invoked");
    awaitSettledCount(function, 2);
  }

  static Stream<Arguments> slowFailures() {
    return Stream.of(
        Arguments.of(
            "missing",
            FunctionOutcome.apiError(
                404,
                "ResourceNotFoundException",
                "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:missing"),
            "FunctionNotFound"),
        Arguments.of(
            "denied",
            FunctionOutcome.apiError(
                403, "AccessDeniedException", "not authorized to perform: lambda:InvokeFunction"),
            "AccessDenied"),
        Arguments.of(
            "kms",
            FunctionOutcome.apiError(
                502,
                "KMSAccessDeniedException",
                "Lambda was unable to decrypt the environment variables"),
            "KMSAccessDenied"));
  }

  @ParameterizedTest(name = "{0} gives {2}, retried slowly and at once on a trigger")
  @MethodSource("slowFailures")
  void failuresFixedOutsideTheResourceAreRetriedSlowlyAndOnTriggers(
      String function, FunctionOutcome outcome, String reason) {
    harness.lambda.function(function, call -> outcome);
    harness.create(invocation(function, function, "{}"));

    LambdaInvocation failed = harness.awaitReason(function, reason);
    if (reason.equals("KMSAccessDenied")) {
      assertThat(failed.getStatus().readyCondition().orElseThrow().getMessage())
          .contains("re-point the function's execution role")
          .contains("recreate the function");
    }
    // Slow retries: one more after about 2s, not a burst.
    assertThat(harness.lambda.invocationCount(function)).isEqualTo(1);
    await()
        .atMost(Duration.ofSeconds(6))
        .until(() -> harness.lambda.invocationCount(function) == 2);

    long before = harness.lambda.invocationCount(function);
    OperatorHarness.requestInvocation(harness.client(), function, "now");
    await()
        .atMost(Duration.ofMillis(1500))
        .until(() -> harness.lambda.invocationCount(function) > before);
  }

  @Test
  void unresolvedPointerIsResultKeyMissingWritesNothingAndIsNotRetried() {
    harness.lambda.function("keyless", call -> FunctionOutcome.json(Map.of("token", "abc")));
    var resource = invocation("keyless", "keyless", "{}");
    secretSpec(resource).setKeys(Map.of("api_key", "/api_key"));
    harness.create(resource);

    LambdaInvocation failed = harness.awaitReason("keyless", "ResultKeyMissing");
    assertThat(failed.getStatus().readyCondition().orElseThrow().getMessage()).contains("api_key");
    assertThat(harness.secret("keyless")).isNull();
    awaitSettledCount("keyless", 1);
  }

  @Test
  void resultTooLargeForASecretWritesNothingAndIsNotRetried() {
    byte[] big = new byte[1024 * 1024 + 10];
    java.util.Arrays.fill(big, (byte) 'a');
    harness.lambda.function("huge", call -> FunctionOutcome.result(big));
    harness.create(invocation("huge", "huge", "{}"));

    harness.awaitReason("huge", "ResultTooLarge");
    assertThat(harness.secret("huge")).isNull();
    awaitSettledCount("huge", 1);
  }

  /**
   * The operator caches only its own Secrets and reads none before a call, so a foreign Secret
   * that holds the name is found when the result's create fails on it: the function has run once,
   * its result is discarded, and while the conflict lasts the retries read the Secret instead of
   * calling again.
   */
  @Test
  void foreignSecretOfTheSameNameIsLeftUntouchedAndTheResultDiscarded() {
    harness.lambda.function("taken", call -> FunctionOutcome.json(Map.of("ok", true)));
    Secret foreign =
        harness
            .client()
            .secrets()
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName("taken")
                    .withNamespace(NAMESPACE)
                    .endMetadata()
                    .withData(Map.of("password", "aHVudGVyMg=="))
                    .build())
            .create();
    harness.create(invocation("taken", "taken", "{}"));

    LambdaInvocation conflicted = harness.awaitReason("taken", "SecretConflict");
    assertThat(conflicted.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("Secret taken exists and is not controlled by this LambdaInvocation");
    Secret after = harness.secret("taken");
    assertThat(after.getData()).isEqualTo(foreign.getData());
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(foreign.getMetadata().getResourceVersion());
    assertThat(after.getMetadata().getOwnerReferences()).isNullOrEmpty();
    int started = harness.reconcilesStarted("taken");
    harness.awaitResource(
        "taken",
        r -> r.getStatus().getFailedAttempts() != null && r.getStatus().getFailedAttempts() >= 2);
    harness.awaitDecided("taken", started);
    assertThat(harness.lambda.invocationCount("taken"))
        .as("called once; the retry found the Secret still taken and did not call")
        .isEqualTo(1);
    assertThat(harness.secret("taken")).isEqualTo(after);

    harness.client().secrets().inNamespace(NAMESPACE).withName("taken").delete();
    harness.awaitReason("taken", "Invoked");
    assertThat(InvocationLifecycleTest.decode(harness.secret("taken"), "result"))
        .isEqualTo("{\"ok\":true}");
  }

  private static String conditionStatus(LambdaInvocation resource, String type) {
    return resource.getStatus().condition(type).orElseThrow().getStatus();
  }

  /**
   * Waits for {@code expected} calls of {@code function} (its resource has the same name), then
   * until the operator has stored the last outcome with no wake-up planned (the next one comes from
   * the status's retry, refresh and expiry times) and is done deciding with no call queued: no
   * further call is coming, so the count is final.
   */
  private static void awaitSettledCount(String function, long expected) {
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> harness.lambda.invocationCount(function) >= expected);
    harness.awaitResource(
        function,
        r ->
            r.getStatus() != null
                && r.getStatus().getNextRetryTime() == null
                && r.getStatus().getNextRefreshTime() == null
                && r.getStatus().getExpiryTime() == null);
    harness.awaitDecided(function, 0);
    assertThat(harness.lambda.invocationCount(function)).isEqualTo(expected);
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
