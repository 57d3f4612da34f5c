package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.FunctionPattern;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicySpec;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.policy.PolicySettings;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * As the namespaced install runs it (WATCH_NAMESPACES set): the cluster-scoped policies and the
 * namespaces are still watched cluster-wide, never per namespace, and are enforced.
 */
class PolicyWithWatchedNamespacesTest {

  private static final String AGENT = "lambda-invocation-operator/watched";

  @Test
  void policiesAreReadClusterWideAndEnforcedInTheWatchedNamespace() {
    try (var kubernetes = InProcessKubernetes.start();
        var lambda = LambdaEmulator.start("127.0.0.1", 0);
        var client = OperatorHarness.newClient(kubernetes, AGENT);
        var invoker = OperatorHarness.invoker(lambda, 4)) {
      lambda.function("ok", call -> FunctionOutcome.json(Map.of("key", "v")));
      var config =
          OperatorConfig.single(
                  Set.of(NAMESPACE),
                  Optional.of(lambda.endpoint()),
                  4,
                  OperatorHarness.FAST_RETRIES)
              .withPolicy(PolicySettings.enforce("111111111111", "eu-west-1"));
      try (var operator =
          new LambdaInvocationOperator(
              client, config, invoker, Clock.systemUTC(), InvocationObserver.NONE)) {
        operator.start();
        var user = kubernetes.client();
        var policy = new LambdaInvocationPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("shop").build());
        var spec = new LambdaInvocationPolicySpec();
        spec.setNamespaces(List.of(NAMESPACE));
        spec.setFunctions(List.of(new FunctionPattern("ok", null, null, null)));
        policy.setSpec(spec);
        user.resource(policy).create();
        user.resource(invocation("allowed", "ok", "{}")).create();
        user.resource(invocation("refused", "other", "{}")).create();

        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> reason(user, "allowed", "Invoked") && reason(user, "refused", "NotAllowed"));
        assertThat(lambda.invocations()).hasSize(1);
      }
      assertThat(
              kubernetes.requests().stream()
                  .filter(r -> AGENT.equals(r.userAgent()))
                  .map(InProcessKubernetes.Request::path)
                  .filter(
                      p -> p.contains("lambdainvocationpolicies") || p.contains("/namespaces?")))
          .as("cluster-wide lists and watches of policies and namespaces")
          .isNotEmpty()
          .allMatch(
              p ->
                  p.startsWith("/apis/lambda.ephemeral.dev/v1alpha1/lambdainvocationpolicies")
                      || p.startsWith("/api/v1/namespaces?"));
    }
  }

  private static boolean reason(
      io.fabric8.kubernetes.client.KubernetesClient client, String name, String reason) {
    var resource =
        client.resources(LambdaInvocation.class).inNamespace(NAMESPACE).withName(name).get();
    return resource != null
        && resource.getStatus() != null
        && resource.getStatus().hasReason(reason);
  }
}
