package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.customresource.FunctionPattern;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.model.Shard;
import dev.ephemeral.lambda.policy.PolicySettings;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With shards and POLICY_MODE=Enforce, LambdaInvocationPolicies' status has one writer, the
 * instance without a shard: each shard sees only its own LambdaInvocations and finds other ties,
 * so two writers would overwrite each other's status. A shard still enforces every policy.
 */
class ShardedPolicyStatusTest {

  private static final String OWN_ACCOUNT = PolicyEnforcementTest.OWN_ACCOUNT;
  private static final Shard BLUE = Shard.named("blue");

  private InProcessKubernetes kubernetes;
  private LambdaEmulator lambda;
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    // Closed last to first: the instances, then the Lambda emulator, then the API server.
    kubernetes = InProcessKubernetes.start();
    closeables.add(kubernetes);
    lambda = LambdaEmulator.start("127.0.0.1", 0);
    closeables.add(0, lambda);
    lambda.function("secret-generator", call -> FunctionOutcome.json(Map.of("api_key", "k")));
    kubernetes
        .client()
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    instance(Shard.NONE).start();
    instance(BLUE).start();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
  }

  @Test
  void onlyTheInstanceWithoutAShardWritesPolicyStatusWhileEachShardEnforces() {
    var anyAccount = List.of(new FunctionPattern("secret-*", null, "*", null));
    for (var role : Map.of("role-a", "222222222222", "role-b", "333333333333").entrySet()) {
      var policy =
          PolicyEnforcementTest.policy(
              role.getKey(),
              s -> {
                s.setFunctions(anyAccount);
                s.setRoleArn("arn:aws:iam::" + role.getValue() + ":role/" + role.getKey());
              });
      kubernetes.client().resource(policy).create();
    }

    // Tied for a resource of shard blue: blue refuses it, and names the tie on it.
    create("blue-key", BLUE);
    LambdaInvocation refused = awaitReason("blue-key", "NotAllowed");
    assertThat(refused.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("role-a and role-b both allow namespace shop");
    // Tied for a resource without a shard: the instance without a shard shows it on the policies.
    create("plain-key", Shard.NONE);
    awaitReason("plain-key", "NotAllowed");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> conflictMessage("role-a").contains("LambdaInvocation shop/plain-key"));

    assertThat(conflictMessage("role-a")).doesNotContain("blue-key");
    assertThat(conflictMessage("role-b")).contains("shop/plain-key").doesNotContain("blue-key");
    assertThat(kubernetes.requests())
        .filteredOn(r -> r.path().contains("/lambdainvocationpolicies"))
        .filteredOn(r -> !r.method().equals("GET"))
        .extracting(r -> r.userAgent())
        .filteredOn(agent -> agent.startsWith("lambda-invocation-operator/"))
        .isNotEmpty()
        .allMatch(agent -> agent.endsWith("/unsharded"));
    assertThat(lambda.invocations()).isEmpty();
  }

  private void create(String name, Shard shard) {
    var resource = invocation(name, OWN_ACCOUNT + ":function:secret-generator", "{}");
    resource.getMetadata().setLabels(shard.labels());
    kubernetes.client().resource(resource).create();
  }

  private LambdaInvocation awaitReason(String name, String reason) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                kubernetes
                    .client()
                    .resources(LambdaInvocation.class)
                    .inNamespace(NAMESPACE)
                    .withName(name)
                    .get(),
            r -> r != null && r.getStatus() != null && r.getStatus().hasReason(reason));
  }

  private String conflictMessage(String policy) {
    var stored =
        kubernetes.client().resources(LambdaInvocationPolicy.class).withName(policy).get();
    if (stored == null || stored.getStatus() == null) {
      return "";
    }
    return stored.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals("Ready") && c.getReason().equals("Conflict"))
        .map(c -> c.getMessage())
        .findFirst()
        .orElse("");
  }

  private LambdaInvocationOperator instance(Shard shard) {
    String identity = shard.name().orElse("unsharded");
    var client = OperatorHarness.instanceClient(kubernetes, identity);
    var invoker = OperatorHarness.invoker(lambda, 4);
    var config =
        OperatorHarness.instanceConfig(
            lambda, shard, false, Optional.empty(), PolicySettings.enforce(OWN_ACCOUNT, "eu-west-1"));
    var operator = new LambdaInvocationOperator(client, config, invoker, Clock.systemUTC());
    closeables.add(0, client);
    closeables.add(0, invoker);
    closeables.add(0, operator);
    return operator;
  }
}
