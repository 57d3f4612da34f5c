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
import java.time.Clock;
import java.time.Duration;

/**
 * The operator assembled: the JOSDK loop with the LambdaInvocation reconciler. The same assembly
 * runs in production, in the tests and in the sandbox; only the clients passed in differ.
 */
public final class LambdaInvocationOperator implements AutoCloseable {

  private final Operator operator;

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
    ObjectMapper mapper = new ObjectMapper();
    var reconciler =
        new LambdaInvocationReconciler(
            new SpecValidator(mapper), invoker, new ResultSecret(mapper), config.retryPolicy(), clock, observer);
    operator =
        new Operator(
            o -> o.withKubernetesClient(client)
                    // Status is written with merge patches, Secrets with create/update: no
                    // server-side apply anywhere.
                    .withUseSSAToPatchPrimaryResource(false)
                    .withSSABasedCreateUpdateMatchForDependentResources(false)
                    .withCloseClientOnStop(false)
                    .withConcurrentReconciliationThreads(Math.max(10, config.maxInFlight() + 2))
                    .withStopOnInformerErrorDuringStartup(true)
                    .withCacheSyncTimeout(Duration.ofMinutes(2))
                    .withReconciliationTerminationTimeout(Duration.ofSeconds(10)));
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

  @Override
  public void close() {
    operator.stop();
  }
}
