package dev.ephemeral.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.invoke.InFlightLimit;
import dev.ephemeral.lambda.invoke.LambdaInvoker;
import dev.ephemeral.lambda.reconciler.InvocationObserver;
import dev.ephemeral.lambda.reconciler.LambdaInvocationReconciler;
import dev.ephemeral.lambda.secret.DataHash;
import dev.ephemeral.lambda.secret.ResultSecret;
import dev.ephemeral.lambda.validation.SpecValidator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The operator assembled: the JOSDK loop with the LambdaInvocation reconciler. The same assembly
 * runs in production, in the tests and in the sandbox; only the clients passed in differ.
 */
public final class LambdaInvocationOperator implements AutoCloseable {

  private final Operator operator;
  private final LambdaInvocationReconciler reconciler;

  public LambdaInvocationOperator(
      KubernetesClient client, OperatorConfig config, LambdaInvoker invoker, Clock clock) {
    this(client, config, invoker, clock, InvocationObserver.NONE);
  }

  public LambdaInvocationOperator(
      KubernetesClient client,
      OperatorConfig config,
      LambdaInvoker invoker,
      Clock clock,
      InvocationObserver observer) {
    this(
        client,
        config,
        invoker,
        clock,
        observer,
        Optional.empty(),
        Optional.empty(),
        new InFlightLimit(config.maxInFlight()));
  }

  /**
   * @param frameworkMetrics JOSDK's reconcile metrics, if collected
   * @param leaderElection leader election settings; empty runs without
   * @param inFlight the limit of invocations in flight (config.maxInFlight() of them)
   */
  public LambdaInvocationOperator(
      KubernetesClient client,
      OperatorConfig config,
      LambdaInvoker invoker,
      Clock clock,
      InvocationObserver observer,
      Optional<Metrics> frameworkMetrics,
      Optional<LeaderElectionConfiguration> leaderElection,
      InFlightLimit inFlight) {
    ObjectMapper mapper = new ObjectMapper();
    reconciler =
        new LambdaInvocationReconciler(
            new SpecValidator(mapper),
            invoker,
            inFlight,
            new ResultSecret(mapper, DataHash.withRandomKey()),
            config.retryPolicy(),
            clock,
            observer);
    operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  // Status is written with JSON patches, Secrets with create/update: no
                  // server-side apply anywhere.
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  .withCloseClientOnStop(false)
                  .withConcurrentReconciliationThreads(Math.max(10, config.maxInFlight() + 2))
                  .withStopOnInformerErrorDuringStartup(true)
                  .withCacheSyncTimeout(Duration.ofMinutes(2))
                  .withReconciliationTerminationTimeout(Duration.ofSeconds(10));
              frameworkMetrics.ifPresent(o::withMetrics);
              leaderElection.ifPresent(o::withLeaderElectionConfiguration);
            });
    operator.register(
        reconciler,
        c -> {
          if (!config.watchNamespaces().isEmpty()) {
            c.settingNamespaces(config.watchNamespaces());
          }
        });
  }

  /** No new invocations from now on: this replica is about to exit (it lost its Lease). */
  public void pauseInvocations() {
    reconciler.pauseInvocations();
  }

  public void start() {
    operator.start();
  }

  /** Informers started and healthy. A standby replica (not the leader) is ready too. */
  public boolean isReady() {
    var runtime = operator.getRuntimeInfo();
    return runtime.isStarted() && runtime.allEventSourcesAreHealthy();
  }

  @Override
  public void close() {
    operator.stop();
  }
}
