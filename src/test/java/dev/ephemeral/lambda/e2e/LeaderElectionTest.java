package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.ephemeral.lambda.KubernetesClientConfig;
import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.LeaderLease;
import dev.ephemeral.lambda.LeaseGuard;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.emulator.LambdaFunction;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Trigger;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas against one API: only the Lease holder invokes; when it stops, the standby takes
 * over. A takeover is the new leader's start (trigger 5): each resource is invoked once by it, and
 * no trigger is acted on by both replicas.
 */
class LeaderElectionTest {

  private static final String LEASE_NAMESPACE = "lambda-invocation-system";

  /** Short enough for a takeover after expiry to be observed in seconds. */
  private static final Duration SHORT_LEASE = Duration.ofSeconds(2);

  /**
   * Short enough for a takeover after a cut to be observed in seconds; the renew deadline is three
   * quarters of it.
   */
  private static final Duration CUT_LEASE = Duration.ofSeconds(4);

  private static final Duration CUT_RENEW_DEADLINE = Duration.ofSeconds(3);

  /** Longer than a test waits for a takeover, so a takeover within seconds means a release. */
  private static final Duration LONG_LEASE = Duration.ofSeconds(30);

  record Call(String replica, String resource, Trigger trigger) {}

  /** One operator replica and its hold on the Lease. */
  record Replica(
      LambdaInvocationOperator operator, LeaderLease lease, ReconcileCounter reconciles) {

    /** A clean stop, as on SIGTERM: the operator stops, then gives up the Lease. */
    boolean stop() {
      operator.close();
      return lease.releaseIfHeld();
    }

    /**
     * Waits until this replica has reconciled {@code name} after {@code instant} and has no call
     * queued or running: what it decided then is done.
     */
    void awaitDecidedAfter(String name, Instant instant) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  reconciles.settledAfter(OperatorHarness.NAMESPACE + "/" + name, instant)
                      && operator.inFlight() == 0
                      && operator.waiting() == 0);
    }
  }

  private InProcessKubernetes kubernetes;
  private LambdaEmulator lambda;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    kubernetes = InProcessKubernetes.start();
    lambda = LambdaEmulator.start("127.0.0.1", 0);
    lambda.function("constant", call -> FunctionOutcome.json(Map.of("answer", 42)));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    lambda.close();
    kubernetes.close();
  }

  @Test
  void onlyTheLeaderInvokesAndTheStandbyTakesOverWithoutRepeatingATrigger() throws Exception {
    Replica leader = replica("a", SHORT_LEASE);
    LambdaInvocationOperator a = leader.operator();
    a.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> "a".equals(holder()));
    Replica standby = replica("b", SHORT_LEASE);
    LambdaInvocationOperator b = standby.operator();
    b.start();

    kubernetes.client().resource(invocation("api-key", "constant", "{}")).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> ready("api-key"));
    // The leader stored its call and is done; the standby, which watches the same resource,
    // reconciled nothing at all.
    leader.awaitDecidedAfter("api-key", lambda.invocations().get(0).receivedAt());
    assertThat(standby.reconciles().total()).isZero();
    assertThat(calls).containsExactly(new Call("a", "api-key", Trigger.SPEC_CHANGED));
    assertThat(a.isReady()).isTrue();
    assertThat(b.isReady()).as("a standby replica is ready too").isTrue();
    assertThat(holder()).isEqualTo("a");

    a.close();
    await().atMost(Duration.ofSeconds(15)).until(() -> "b".equals(holder()));
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 2);
    assertThat(calls.get(1)).isEqualTo(new Call("b", "api-key", Trigger.OPERATOR_STARTED));

    OperatorHarness.requestInvocation(kubernetes.client(), "api-key", "again");
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 3);
    standby.awaitDecidedAfter("api-key", lambda.invocations().get(2).receivedAt());
    assertThat(calls).hasSize(3);
    assertThat(calls.get(2)).isEqualTo(new Call("b", "api-key", Trigger.INVOKE_REQUESTED));
    assertThat(lambda.invocationCount("constant")).isEqualTo(3);
  }

  @Test
  void aCleanlyStoppedLeaderReleasesTheLeaseAndTheStandbyTakesOverWithinSeconds() {
    Replica a = replica("a", LONG_LEASE);
    a.operator().start();
    await().atMost(Duration.ofSeconds(10)).until(() -> "a".equals(holder()));
    Replica b = replica("b", LONG_LEASE);
    b.operator().start();
    kubernetes.client().resource(invocation("api-key", "constant", "{}")).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 1);
    assertThat(calls.get(0).replica()).isEqualTo("a");

    assertThat(a.stop()).isTrue();
    assertThat(holder()).as("the Lease no longer names the stopped leader").isNotEqualTo("a");
    await().atMost(Duration.ofSeconds(5)).until(() -> "b".equals(holder()));
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 2);
    assertThat(calls.get(1)).isEqualTo(new Call("b", "api-key", Trigger.OPERATOR_STARTED));
  }

  @Test
  void aNewLeaderInvokesNothingForOnChangeResourcesButRestoresASecretEditedMeanwhile() {
    Replica a = replica("a", LONG_LEASE);
    a.operator().start();
    await().atMost(Duration.ofSeconds(10)).until(() -> "a".equals(holder()));
    for (String name : List.of("one", "two", "three")) {
      var resource = invocation(name, "constant", "{}");
      resource.getSpec().setInvokePolicy("OnChange");
      kubernetes.client().resource(resource).create();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 3);
    await().atMost(Duration.ofSeconds(10)).until(() -> ready("one") && ready("two") && ready("three"));

    // The leader goes; while no replica leads, someone edits one result Secret.
    assertThat(a.stop()).isTrue();
    kubernetes
        .client()
        .secrets()
        .inNamespace(OperatorHarness.NAMESPACE)
        .withName("two")
        .edit(
            s -> {
              s.getData().put("result", "ZWRpdGVk");
              return s;
            });
    Replica b = replica("b", LONG_LEASE);
    b.operator().start();
    await().atMost(Duration.ofSeconds(10)).until(() -> "b".equals(holder()));

    await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 4);
    // The new leader stored the restoring call and decided on the other two: no call follows.
    b.awaitDecidedAfter("two", lambda.invocations().get(3).receivedAt());
    b.awaitDecidedAfter("one", Instant.EPOCH);
    b.awaitDecidedAfter("three", Instant.EPOCH);
    assertThat(calls).hasSize(4);
    assertThat(calls.get(3)).isEqualTo(new Call("b", "two", Trigger.SECRET_CHANGED));
    assertThat(lambda.invocationCount("constant")).isEqualTo(4);
  }

  @Test
  void aStandbyHasNoLeaseToRelease() {
    Replica a = replica("a", LONG_LEASE);
    a.operator().start();
    await().atMost(Duration.ofSeconds(10)).until(() -> "a".equals(holder()));
    Replica b = replica("b", LONG_LEASE);
    b.operator().start();

    assertThat(b.stop()).isFalse();
    assertThat(holder()).isEqualTo("a");
  }

  @Test
  void aLeaderCutOffFromTheApiStartsNoCallOnceItsRenewDeadlinePassed() throws Exception {
    // Each replica calls its own endpoint, so that every call is known by who made it.
    LambdaEmulator lambdaA = LambdaEmulator.start("127.0.0.1", 0);
    LambdaEmulator lambdaB = LambdaEmulator.start("127.0.0.1", 0);
    PartitionProxy apiOfA = PartitionProxy.to(kubernetes.url());
    closeables.add(lambdaA);
    closeables.add(lambdaB);
    closeables.add(apiOfA);
    var release = new CountDownLatch(1);
    var answer = FunctionOutcome.json(Map.of("answer", 42));
    List<Arrival> arrivalsAtA = new CopyOnWriteArrayList<>();
    List<Arrival> arrivalsAtB = new CopyOnWriteArrayList<>();
    lambdaA.function("slow", recorded(arrivalsAtA, OperatorHarness.heldUntil(release, answer)));
    lambdaB.function("slow", recorded(arrivalsAtB, OperatorHarness.heldUntil(release, answer)));
    try (var logs = TraceLogs.capture(LeaseGuard.class.getName())) {
      Replica a = replica("a", CUT_LEASE, lambdaA, apiOfA.url(), 2);
      a.operator().start();
      await().atMost(Duration.ofSeconds(10)).until(() -> "a".equals(holder()));
      Replica b = replica("b", CUT_LEASE, lambdaB, kubernetes.url(), 2);
      b.operator().start();
      List<String> names = List.of("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8");
      for (String name : names) {
        var resource = invocation(name, "slow", "{\"resource\":\"" + name + "\"}");
        resource.getSpec().setInvokePolicy("OnChange");
        kubernetes.client().resource(resource).create();
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> arrivalsAtA.size() == 2 && a.operator().waiting() == 6);
      Set<String> inFlightAtCut = resources(arrivalsAtA);
      assertThat(inFlightAtCut).hasSize(2);

      apiOfA.cut();
      Instant cutAt = Instant.now();
      await().atMost(Duration.ofSeconds(15)).until(() -> "b".equals(holder()));
      assertThat(a.operator().mayStartCalls())
          .as("the cut-off leader stopped before the standby could take over")
          .isFalse();
      await().atMost(Duration.ofSeconds(5)).until(() -> b.operator().mayStartCalls());

      // The calls in flight finish, and free their slots: the cut-off leader, whose framework has
      // not noticed yet, keeps its queued calls waiting instead of starting them.
      release.countDown();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> a.operator().inFlight() == 0 && a.operator().waiting() == 6);
      await().atMost(Duration.ofSeconds(20)).until(() -> names.stream().allMatch(this::ready));
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(4))
          .until(() -> arrivalsAtA.size() == 2);

      assertThat(arrivalsAtA)
          .allSatisfy(call -> assertThat(call.at()).isBefore(cutAt.plus(CUT_RENEW_DEADLINE)));
      assertThat(arrivalsAtB).hasSize(names.size());
      assertThat(resources(arrivalsAtB)).containsExactlyInAnyOrderElementsOf(names);
      Set<String> ranTwice = resources(arrivalsAtA);
      ranTwice.retainAll(resources(arrivalsAtB));
      assertThat(ranTwice)
          .as("only the calls in flight at the cut ran twice")
          .isEqualTo(inFlightAtCut);
      List<ILoggingEvent> warnings =
          logs.events().stream().filter(e -> e.getLevel() == Level.WARN).toList();
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0).getKeyValuePairs())
          .anySatisfy(kv -> assertThat(kv.key).isEqualTo("sinceLastRenewal"))
          .anySatisfy(
              kv -> {
                assertThat(kv.key).isEqualTo("lease");
                assertThat(kv.value).isEqualTo(LEASE_NAMESPACE + "/" + OperatorConfig.LEASE_NAME);
              });
    } finally {
      // So that the cut-off replica can stop without waiting for its unstored calls.
      apiOfA.heal();
    }
  }

  /** A call as it reached a function: for which resource, and when. */
  record Arrival(String resource, Instant at) {}

  /** {@code function}, recording each call's arrival (the payload names the resource). */
  private static LambdaFunction recorded(List<Arrival> arrivals, LambdaFunction function) {
    return call -> {
      String payload = new String(call.payload(), StandardCharsets.UTF_8);
      arrivals.add(
          new Arrival(OperatorHarness.json(payload).path("resource").asText(), Instant.now()));
      return function.handle(call);
    };
  }

  private static Set<String> resources(List<Arrival> arrivals) {
    Set<String> resources = new TreeSet<>();
    arrivals.forEach(arrival -> resources.add(arrival.resource()));
    return resources;
  }

  private Replica replica(String identity, Duration leaseDuration) {
    return replica(identity, leaseDuration, lambda, kubernetes.url(), 4);
  }

  /**
   * A replica calling {@code lambda}, reaching the API at {@code apiUrl}, with at most {@code
   * maxInFlight} calls at once.
   */
  private Replica replica(
      String identity,
      Duration leaseDuration,
      LambdaEmulator lambda,
      String apiUrl,
      int maxInFlight) {
    KubernetesClient client =
        KubernetesClientConfig.newClient(
            new ConfigBuilder(kubernetes.client().getConfiguration())
                .withMasterUrl(apiUrl)
                .withUserAgent("lambda-invocation-operator/" + identity)
                .build());
    var invoker = OperatorHarness.invoker(lambda, maxInFlight);
    var config =
        new OperatorConfig(
            Set.of(),
            Optional.of(lambda.endpoint()),
            maxInFlight,
            0,
            OperatorHarness.FAST_RETRIES,
            true,
            Optional.of(LEASE_NAMESPACE));
    InvocationObserver observer =
        (resource, trigger, outcome, latency) -> {
          if (outcome == ReadyReason.Invoked) {
            calls.add(new Call(identity, resource.getMetadata().getName(), trigger));
          }
        };
    var reconciles = new ReconcileCounter();
    var operator =
        OperatorHarness.leasedInstance(
            client, invoker, config, identity, leaseDuration, observer, reconciles, closeables);
    return new Replica(
        operator,
        new LeaderLease(client, LEASE_NAMESPACE, OperatorConfig.LEASE_NAME, identity),
        reconciles);
  }

  private String holder() {
    Lease lease =
        kubernetes
            .client()
            .leases()
            .inNamespace(LEASE_NAMESPACE)
            .withName(OperatorConfig.LEASE_NAME)
            .get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  private boolean ready(String name) {
    var resource =
        kubernetes
            .client()
            .resources(LambdaInvocation.class)
            .inNamespace(NAMESPACE)
            .withName(name)
            .get();
    return resource != null && resource.getStatus() != null && resource.getStatus().isReady();
  }
}
