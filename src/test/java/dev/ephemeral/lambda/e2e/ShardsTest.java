package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Shard;
import dev.ephemeral.lambda.model.Trigger;
import dev.ephemeral.lambda.policy.PolicySettings;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two operator instances of different shards on one API server, each electing its leader through
 * its own Lease: each LambdaInvocation is invoked by the instance of its shard label only, and a
 * relabelled one is handed over without a call under OnChange, with one under EveryReconcile.
 */
class ShardsTest {

  private static final String LEASE_NAMESPACE = "lambda-invocation-system";
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final Shard BLUE = Shard.named("blue");

  record Call(Shard shard, String resource, Trigger trigger) {}

  /** An instance and what it reconciled. */
  record Instance(LambdaInvocationOperator operator, ReconcileCounter reconciles) {

    /**
     * Waits until no reconcile of {@code name} runs and no call is queued: after its Ready status,
     * nothing more is coming.
     */
    void awaitIdle(String name) {
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  reconciles.settledSince(NAMESPACE + "/" + name, 0)
                      && operator.inFlight() == 0
                      && operator.waiting() == 0);
    }

    /** Waits until it reconciled {@code name} after {@code instant}, with no call queued. */
    void awaitDecidedAfter(String name, Instant instant) {
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  reconciles.settledAfter(NAMESPACE + "/" + name, instant)
                      && operator.inFlight() == 0
                      && operator.waiting() == 0);
    }
  }

  private InProcessKubernetes kubernetes;
  private LambdaEmulator lambda;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
  private Instance unsharded;
  private Instance blue;

  @BeforeEach
  void start() {
    kubernetes = InProcessKubernetes.start();
    lambda = LambdaEmulator.start("127.0.0.1", 0);
    lambda.function("constant", call -> FunctionOutcome.json(Map.of("answer", 42)));
    unsharded = instance(Shard.NONE);
    blue = instance(BLUE);
    unsharded.operator().start();
    blue.operator().start();
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
  void eachResourceIsInvokedOnceByTheInstanceOfItsShardEachLeadingByItsOwnLease() {
    List<String> names = IntStream.range(0, 10).mapToObj(i -> "r" + i).toList();
    for (int i = 0; i < names.size(); i++) {
      create(names.get(i), i % 2 == 0 ? BLUE : Shard.NONE, InvokePolicy.OnChange);
    }

    names.forEach(this::awaitReady);
    for (int i = 0; i < names.size(); i++) {
      (i % 2 == 0 ? blue : unsharded).awaitIdle(names.get(i));
    }

    assertThat(calls)
        .containsExactlyInAnyOrderElementsOf(
            IntStream.range(0, names.size())
                .mapToObj(
                    i ->
                        new Call(
                            i % 2 == 0 ? BLUE : Shard.NONE, names.get(i), Trigger.SPEC_CHANGED))
                .toList());
    for (int i = 0; i < names.size(); i++) {
      String key = NAMESPACE + "/" + names.get(i);
      assertThat((i % 2 == 0 ? unsharded : blue).reconciles().started(key))
          .as("reconciles of %s by the other shard's instance", names.get(i))
          .isZero();
    }
    assertThat(holder(OperatorConfig.LEASE_NAME)).isEqualTo("unsharded");
    assertThat(holder(OperatorConfig.LEASE_NAME + "-blue")).isEqualTo("blue");
    for (int i = 0; i < names.size(); i++) {
      Map<String, String> labels = secret(names.get(i)).getMetadata().getLabels();
      if (i % 2 == 0) {
        assertThat(labels).containsEntry(Shard.LABEL, "blue");
      } else {
        assertThat(labels).doesNotContainKey(Shard.LABEL);
      }
    }
  }

  @Test
  void aRelabelledOnChangeResourceIsHandedOverWithoutACall() {
    create("moving", Shard.NONE, InvokePolicy.OnChange);
    awaitReady("moving");
    assertThat(calls).containsExactly(new Call(Shard.NONE, "moving", Trigger.SPEC_CHANGED));

    Instant relabelled = Instant.now();
    relabel("moving", BLUE);

    // The new shard takes the Secret over: from then on its instance caches it.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> "blue".equals(secret("moving").getMetadata().getLabels().get(Shard.LABEL)));
    blue.awaitDecidedAfter("moving", relabelled);
    assertThat(calls).hasSize(1);
    assertThat(get("moving").getStatus().isReady()).isTrue();

    // The resource is the new shard's: an invoke request reaches it, and only it.
    Instant requested = Instant.now();
    OperatorHarness.requestInvocation(kubernetes.client(), "moving", "again");
    await().atMost(Duration.ofSeconds(15)).until(() -> calls.size() == 2);
    blue.awaitDecidedAfter("moving", requested);
    assertThat(calls.get(1)).isEqualTo(new Call(BLUE, "moving", Trigger.INVOKE_REQUESTED));
  }

  @Test
  void aRelabelledEveryReconcileResourceIsCalledOnceByItsNewShard() {
    create("moving", Shard.NONE, InvokePolicy.EveryReconcile);
    awaitReady("moving");

    Instant relabelled = Instant.now();
    relabel("moving", BLUE);

    await().atMost(Duration.ofSeconds(15)).until(() -> calls.size() == 2);
    blue.awaitDecidedAfter("moving", relabelled);
    assertThat(calls)
        .containsExactly(
            new Call(Shard.NONE, "moving", Trigger.SPEC_CHANGED),
            new Call(BLUE, "moving", Trigger.OPERATOR_STARTED));
    assertThat(secret("moving").getMetadata().getLabels()).containsEntry(Shard.LABEL, "blue");
  }

  private void create(String name, Shard shard, InvokePolicy policy) {
    var resource = invocation(name, "constant", "{}");
    resource.getMetadata().setLabels(shard.labels());
    resource.getSpec().setInvokePolicy(policy.name());
    kubernetes.client().resource(resource).create();
  }

  private void relabel(String name, Shard shard) {
    OperatorHarness.edit(
        kubernetes.client(),
        name,
        r -> {
          var labels =
              new HashMap<String, String>(
                  r.getMetadata().getLabels() == null ? Map.of() : r.getMetadata().getLabels());
          labels.remove(Shard.LABEL);
          labels.putAll(shard.labels());
          r.getMetadata().setLabels(labels);
          return r;
        });
  }

  private void awaitReady(String name) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              var resource = get(name);
              return resource != null
                  && resource.getStatus() != null
                  && resource.getStatus().isReady();
            });
  }

  private LambdaInvocation get(String name) {
    return kubernetes
        .client()
        .resources(LambdaInvocation.class)
        .inNamespace(NAMESPACE)
        .withName(name)
        .get();
  }

  private Secret secret(String name) {
    return kubernetes.client().secrets().inNamespace(NAMESPACE).withName(name).get();
  }

  private String holder(String leaseName) {
    Lease lease =
        kubernetes.client().leases().inNamespace(LEASE_NAMESPACE).withName(leaseName).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  /** The instance of {@code shard}, leading by its own Lease (its identity: the shard's name). */
  private Instance instance(Shard shard) {
    String identity = shard.name().orElse("unsharded");
    KubernetesClient client = OperatorHarness.instanceClient(kubernetes, identity);
    var invoker = OperatorHarness.invoker(lambda, 4);
    var config =
        OperatorHarness.instanceConfig(
            lambda, shard, true, Optional.of(LEASE_NAMESPACE), PolicySettings.OFF);
    InvocationObserver observer =
        (resource, trigger, outcome, latency) -> {
          if (outcome == ReadyReason.Invoked) {
            calls.add(new Call(shard, resource.getMetadata().getName(), trigger));
          }
        };
    var reconciles = new ReconcileCounter();
    var operator =
        OperatorHarness.leasedInstance(
            client, invoker, config, identity, LEASE, observer, reconciles, closeables);
    return new Instance(operator, reconciles);
  }
}
