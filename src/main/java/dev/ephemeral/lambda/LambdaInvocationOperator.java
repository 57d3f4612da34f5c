package dev.ephemeral.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.invoke.LambdaInvoker;
import dev.ephemeral.lambda.reconciler.InvocationObserver;
import dev.ephemeral.lambda.reconciler.LambdaInvocationReconciler;
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

  public LambdaInvocationOperator(
      KubernetesClient client, OperatorConfig config, LambdaInvoker invoker, Clock clock) {
    this(
        client,
        config,
        invoker,
        clock,
        InvocationObserver.NONE,
        Optional.empty(),
        Optional.empty());
  }

  public LambdaInvocationOperator(
      KubernetesClient client,
      OperatorConfig config,
      LambdaInvoker invoker,
      Clock clock,
      InvocationObserver observer) {
    this(client, config, invoker, clock, observer, Optional.empty(), Optional.empty());
  }

  /**
   * @param frameworkMetrics JOSDK's reconcile metrics, if collected
   * @param leaderElection leader election settings; empty runs without
   */
  public LambdaInvocationOperator(
      KubernetesClient client,
      OperatorConfig config,
      LambdaInvoker invoker,
      Clock clock,
      InvocationObserver observer,
      Optional<Metrics> frameworkMetrics,
      Optional<LeaderElectionConfiguration> leaderElection) {
    ObjectMapper mapper = new ObjectMapper();
    var reconciler =
        new LambdaInvocationReconciler(
            new SpecValidator(mapper),
            invoker,
            new ResultSecret(mapper),
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
