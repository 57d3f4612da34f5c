package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.OPERATOR_USER_AGENT;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;


import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;


import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;




/**
 * The invocation engine: calls queued first in, first out, off the reconcile threads, and what
 * decides the next invocation kept in the cluster, so a restart decides as the process before it.
 */
class InvocationEngineTest {

  private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");

  private OperatorHarness harness;

  @AfterEach
  void stop() {
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  void restartWithOnChangeInvokesNothingAndWritesNothing() {
    harness = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, 4);
    harness.lambda.function("constant", call -> FunctionOutcome.json(Map.of("key", "value")));
    createReady(20, InvokePolicy.OnChange);
    int[] startedBefore = startedBefore(20);
    int requestsBefore = harness.kubernetes.requests().size();

    harness.restartOperator();

    // The new process reconciles all 20 (trigger 5), and decides each time not to invoke.
    awaitDecided(startedBefore);
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(20);
    assertThat(operatorWritesSince(requestsBefore)).isEmpty();
  }

  @Test
  void restartWithEveryReconcileInvokesEachResourceExactlyOnce() {
    harness = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, 4);
    harness.lambda.function("constant", call -> FunctionOutcome.json(Map.of("key", "value")));
    createReady(20, InvokePolicy.EveryReconcile);
    int[] startedBefore = startedBefore(20);

    harness.restartOperator();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> harness.lambda.invocationCount("constant") == 40);
    // Each resource's second reconcile stores its call's result; once that one is done and
    // nothing is queued, no further call is coming.
    for (int i = 0; i < 20; i++) {
      int index = i;
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> harness.reconcilesStarted("r" + index) >= startedBefore[index] + 2);
    }
    awaitDecided(startedBefore);
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(40);
    for (int i = 0; i < 20; i++) {
      assertThat(harness.get("r" + i).getStatus().isReady()).isTrue();
    }
  }

  @Test
  void secretEditedWhileNoOperatorRanIsRestoredWithExactlyOneInvocation() {
    harness = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, 4);
    harness.lambda.function("constant", call -> FunctionOutcome.json(Map.of("key", "value")));
    createReady(3, InvokePolicy.OnChange);
    int[] startedBefore = startedBefore(3);

    harness.stopOperator();
    harness
        .client()
        .secrets()
        .inNamespace(NAMESPACE)
        .withName("r1")
        .edit(
            s -> {
              s.getData().put("result", "dGFtcGVyZWQ=");
              return s;
            });
    harness.startOperator();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                !"dGFtcGVyZWQ=".equals(harness.secret("r1").getData().get("result"))
                    && harness.get("r1").getStatus().isReady());
    awaitDecided(startedBefore);
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(4);
  }

  @Test
  void retryInProgressSurvivesARestartAndContinuesItsCount() {
    var slowRetries =
        new RetryPolicy(Duration.ofSeconds(3), Duration.ofSeconds(3), 3, Duration.ofMinutes(5));
    harness = OperatorHarness.startCountingReconciles(slowRetries, 4);
    harness.lambda.function(
        "broken", call -> FunctionOutcome.functionError("Unhandled", "Boom", "no", null));
    harness.create(invocation("flaky", "broken", "{}"));
    LambdaInvocation first =
        harness.awaitResource(
            "flaky", r -> r.getStatus() != null && r.getStatus().getFailedAttempts() != null);
    assertThat(first.getStatus().getFailedAttempts()).isEqualTo(1);
    Instant retryAt = Instant.parse(first.getStatus().getNextRetryTime());

    harness.restartOperator();

    // The new process keeps the retry's time (no call on start) and its count.
    assertThat(harness.lambda.invocationCount("broken")).isEqualTo(1);
    LambdaInvocation second =
        harness.awaitResource(
            "flaky",
            r -> r.getStatus().getFailedAttempts() != null && r.getStatus().getFailedAttempts() == 2);
    assertThat(harness.lambda.invocations().get(1).receivedAt()).isAfterOrEqualTo(retryAt);
    assertThat(harness.lambda.invocationCount("broken")).isEqualTo(2);
    assertThat(second.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("retry 2 of 3");
  }

  @Test
  void waitingCallsStartAsSoonAsASlotIsFreeAndWaitingReconcilesNothing() throws Exception {
    int resources = 200;
    int limit = 5;
    harness = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, limit);
    var gate = new CountDownLatch(1);
    List<Instant> finished = Collections.synchronizedList(new ArrayList<>());
    harness.lambda.function(
        "queued",
        call -> {
          try {
            gate.await(30, TimeUnit.SECONDS);
            Thread.sleep(20);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          finished.add(Instant.now());
          return FunctionOutcome.json(Map.of("key", "value"));
        });
    // A fresh JVM's first calls through the SDK are slow (class loading, JIT): warm it up first.
    harness.lambda.function("warm-up", call -> FunctionOutcome.json(Map.of("key", "value")));
    for (int i = 0; i < 4 * limit; i++) {
      harness.create(invocation("warm-up-" + i, "warm-up", "{}"));
    }
    for (int i = 0; i < 4 * limit; i++) {
      harness.awaitReason("warm-up-" + i, "Invoked");
    }
    IntStream.range(0, resources)
        .parallel()
        .forEach(i -> harness.create(invocation("q" + i, "queued", "{\"n\":" + i + "}")));
    // The first calls hold every slot until all the others are queued.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> harness.operator().waiting() == resources - limit);
    gate.countDown();

    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                IntStream.range(0, resources)
                    .allMatch(
                        i -> {
                          var r = harness.get("q" + i);
                          return r.getStatus() != null && r.getStatus().isReady();
                        }));

    assertThat(harness.lambda.invocationCount("queued")).isEqualTo(resources);
    // Call k (k >= limit, in order of arrival) took the slot that the (k - limit)-th finished
    // call released: it must have arrived soon after that, not at a reconcile's or a retry's pace
    // (a bound of a second, so a loaded machine does not fail it).
    List<Instant> received =
        harness.lambda.invocations().stream()
            .filter(c -> c.functionName().equals("queued"))
            .map(c -> c.receivedAt())
            .sorted()
            .toList();
    List<Instant> released = finished.stream().sorted().toList();
    List<Long> startDelays = new ArrayList<>();
    for (int k = limit; k < resources; k++) {
      startDelays.add(Duration.between(released.get(k - limit), received.get(k)).toMillis());
    }
    assertThat(startDelays).allSatisfy(ms -> assertThat(ms).isLessThan(1000));
    assertThat(harness.reconciles().counts())
        .hasSize(resources + 4 * limit)
        .allSatisfy((name, n) -> assertThat(n).as(name).isLessThanOrEqualTo(3));
  }

  @Test
  void longCallDoesNotDelayAnotherResourcesExpiry() {
    harness = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, 1);
    var release = new CountDownLatch(1);
    harness.lambda.function("constant", call -> FunctionOutcome.json(Map.of("key", "value")));
    harness.lambda.function(
        "ten-minutes",
        call -> {
          try {
            release.await(10, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return FunctionOutcome.json(Map.of("key", "late"));
        });
    try {
      var shortLived = invocation("short-lived", "constant", "{}");
      secretSpec(shortLived).setTtl("3s");
      harness.create(shortLived);
      LambdaInvocation ready = harness.awaitReason("short-lived", "Invoked");
      Instant expiresAt = Instant.parse(ready.getStatus().getExpiryTime());
      // The only slot under the in-flight limit is now taken by a call that lasts.
      harness.create(invocation("long", "ten-minutes", "{}"));
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.operator().inFlight() == 1);

      harness.awaitReason("short-lived", "Expired");
      Instant expiredAt = Instant.now();

      assertThat(harness.secret("short-lived")).isNull();
      assertThat(Duration.between(expiresAt, expiredAt)).isLessThan(Duration.ofSeconds(2));
      assertThat(harness.operator().inFlight()).as("the long call is still running").isEqualTo(1);
    } finally {
      release.countDown();
    }
  }

  @Test
  void stopWaitsForACallInFlightAndWritesItsSecretAndStatusTogether() {
    harness = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, 4);
    harness.lambda.function(
        "slow",
        call ->
            new FunctionOutcome.Delayed(
                Duration.ofMillis(1500), FunctionOutcome.json(Map.of("key", "value"))));
    harness.create(invocation("stopping", "slow", "{}"));
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.lambda.invocationCount("slow") == 1);

    harness.stopOperator();

    LambdaInvocation resource = harness.get("stopping");
    assertThat(harness.secret("stopping")).as("the result was stored").isNotNull();
    assertThat(resource.getStatus()).as("and its status with it").isNotNull();
    assertThat(resource.getStatus().isReady()).isTrue();
    assertThat(resource.getStatus().getObservedGeneration())
        .isEqualTo(resource.getMetadata().getGeneration());
  }

  @Test
  void oneInvocationTakesTwoReconcilesAndTwoWrites() {
    harness = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, 4);
    harness.lambda.function("constant", call -> FunctionOutcome.json(Map.of("key", "value")));
    int requestsBefore = harness.kubernetes.requests().size();

    harness.create(invocation("single", "constant", "{}"));
    harness.awaitReason("single", "Invoked");
    harness.awaitDecided("single", 0);
    // The watch events of the operator's own writes come within milliseconds; a reconcile they
    // started would show in a second (the one fixed wait here, as "none" is the point).
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> harness.reconciles().counts().get(NAMESPACE + "/single") == 2);

    // One reconcile decides and queues the call, one stores its result; the operator's own Secret
    // and status writes start none. Beside them, the success is reported by one Normal Event.
    List<String> writes =
        operatorWritesSince(requestsBefore).stream()
            .map(r -> r.method() + " " + r.path().replaceAll("\\?.*", ""))
            .toList();
    assertThat(writes.stream().filter(w -> !w.endsWith("/events")))
        .containsExactly(
            "POST /api/v1/namespaces/shop/secrets",
            "PUT /apis/lambda.ephemeral.dev/v1alpha1/namespaces/shop/lambdainvocations/single/status");
    assertThat(writes.stream().filter(w -> w.endsWith("/events")))
        .containsExactly("POST /api/v1/namespaces/shop/events");
  }

  @Test
  void failingFunctionWithAShortRefreshIsCalledAtTheBackoffsPaceNotTheRefreshs() {
    var policy =
        new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(4), 1, Duration.ofMinutes(5));
    harness = OperatorHarness.startCountingReconciles(policy, 4);
    harness.lambda.function(
        "broken", call -> FunctionOutcome.functionError("Unhandled", "Boom", "no", null));
    var resource = invocation("every-second", "broken", "{}");
    resource.getSpec().setRefreshInterval("1s");
    harness.create(resource);

    // Calls at about 0s, 1s (the retry), 3s and 7s: each waits for the growing backoff (1s, 2s,
    // 4s, capped at 4s), not for the 1s refresh.
    await().atMost(Duration.ofSeconds(15)).until(() -> harness.lambda.invocationCount("broken") >= 4);
    List<Instant> calls = harness.lambda.invocations().stream().map(c -> c.receivedAt()).toList();
    assertThat(Duration.between(calls.get(0), calls.get(3))).isGreaterThan(Duration.ofSeconds(5));
    assertThat(Duration.between(calls.get(2), calls.get(3)))
        .as("once the backoff reached its maximum (4s; status times are whole seconds)")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void aFailureAfterTheCallSucceededEndsInAStatusAndNeverInAnotherCall() throws Exception {
    var reconciles = new ReconcileCounter();
    try (var kubernetes = InProcessKubernetes.start();
        var lambda = LambdaEmulator.start("127.0.0.1", 0);
        var client = OperatorHarness.newClient(kubernetes, OPERATOR_USER_AGENT);
        var invoker =
            OperatorHarness.invoker(lambda, 4);
        // A fault inside the operator after the function returned: here, an observer that throws.
        var operator =
            new LambdaInvocationOperator(
                client,
                OperatorConfig.single(
                    Set.of(), Optional.of(lambda.endpoint()), 4, OperatorHarness.FAST_RETRIES),
                invoker,
                Clock.systemUTC(),
                (resource, trigger, outcome, latency) -> {
                  throw new IllegalStateException("observer broke");
                },
                Optional.of(reconciles),
                Optional.empty())) {
      lambda.function("constant", call -> FunctionOutcome.json(Map.of("key", "value")));
      operator.start();
      kubernetes.client().resource(invocation("faulty", "constant", "{}")).create();

      var resources = kubernetes.client().resources(LambdaInvocation.class).inNamespace(NAMESPACE);
      LambdaInvocation failed =
          await()
              .atMost(Duration.ofSeconds(20))
              .until(
                  () -> resources.withName("faulty").get(),
                  r -> r.getStatus() != null && r.getStatus().hasReason("InvocationFailed"));
      assertThat(failed.getStatus().readyCondition().orElseThrow().getMessage())
          .contains("the function ran, but the operator failed to store its result")
          .contains("not retried until the next trigger")
          .doesNotContain("observer broke");
      // No wake-up is planned (the next one comes from these times) and the reconcile that wrote
      // this status is over with nothing queued: no other call is coming.
      assertThat(failed.getStatus().getNextRetryTime()).isNull();
      assertThat(failed.getStatus().getNextRefreshTime()).isNull();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  reconciles.settledSince(NAMESPACE + "/faulty", 0)
                      && operator.inFlight() == 0
                      && operator.waiting() == 0);
      assertThat(lambda.invocationCount("constant")).isEqualTo(1);
    }
  }

  /** Creates r0..r{count-1} with {@code policy}, each Ready after exactly one invocation. */
  private void createReady(int count, InvokePolicy policy) {
    for (int i = 0; i < count; i++) {
      var resource = invocation("r" + i, "constant", "{\"n\":" + i + "}");
      resource.getSpec().setInvokePolicy(policy.name());
      harness.create(resource);
    }
    for (int i = 0; i < count; i++) {
      harness.awaitReason("r" + i, "Invoked");
    }
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(count);
  }

  /** Reconciles started so far of r0..r{count-1}. */
  private int[] startedBefore(int count) {
    return IntStream.range(0, count).map(i -> harness.reconcilesStarted("r" + i)).toArray();
  }

  /** Waits until r0..r{n-1} have each been reconciled since {@code startedBefore} and decided. */
  private void awaitDecided(int[] startedBefore) {
    for (int i = 0; i < startedBefore.length; i++) {
      harness.awaitDecided("r" + i, startedBefore[i]);
    }
  }

  private List<InProcessKubernetes.Request> operatorWritesSince(int index) {
    var requests = harness.kubernetes.requests();
    return requests.subList(index, requests.size()).stream()
        .filter(r -> OPERATOR_USER_AGENT.equals(r.userAgent()))
        .filter(r -> WRITES.contains(r.method()))
        .toList();
  }
}
