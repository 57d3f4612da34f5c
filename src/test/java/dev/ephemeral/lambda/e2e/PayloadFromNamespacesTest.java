package dev.ephemeral.lambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.emulator.RecordedInvocation;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * With WATCH_NAMESPACES, the inputs of spec.payloadFrom are watched in each watched namespace (one
 * watch per namespace, each with its own data-less store): a change in one namespace invokes only
 * the resource there that reads it, and an object created in a namespace that is not watched
 * invokes nothing.
 */
class PayloadFromNamespacesTest {

  @Test
  void inputsAreWatchedInEachWatchedNamespaceAndOnlyThere() {
    try (var kubernetes = InProcessKubernetes.start();
        var lambda = LambdaEmulator.start("127.0.0.1", 0);
        KubernetesClient client = OperatorHarness.newClient(kubernetes, "payloadfrom-namespaces");
        var invoker = OperatorHarness.invoker(lambda, 4)) {
      lambda.function("setup", call -> FunctionOutcome.json(Map.of("ok", true)));
      var config =
          OperatorConfig.single(
              Set.of("team-a", "team-b"),
              Optional.of(lambda.endpoint()),
              4,
              OperatorHarness.FAST_RETRIES);
      var reconciles = new ReconcileCounter();
      try (var operator =
          new LambdaInvocationOperator(
              client,
              config,
              invoker,
              Clock.systemUTC(),
              InvocationObserver.NONE,
              Optional.of(reconciles),
              Optional.empty())) {
        operator.start();
        KubernetesClient user = kubernetes.client();
        configMap(user, "team-a", "db", "a-1");
        create(user, "team-a");
        create(user, "team-b");
        create(user, "team-c");

        await().atMost(Duration.ofSeconds(20)).until(() -> reason(user, "team-a", "Invoked"));
        await().atMost(Duration.ofSeconds(20)).until(() -> reason(user, "team-b", "InputMissing"));
        assertThat(bodies(lambda)).containsExactly("team-a {\"host\":\"a-1\"}");

        configMap(user, "team-b", "db", "b-1");
        configMap(user, "team-c", "db", "c-1");
        configMap(user, "team-a", "db", "a-2");

        await().atMost(Duration.ofSeconds(10)).until(() -> lambda.invocations().size() == 3);
        // Each watched namespace's last call is stored and the operator is done deciding with no
        // call queued: no other call is coming.
        for (String namespace : List.of("team-a", "team-b")) {
          Instant lastCall =
              lambda.invocations().stream()
                  .filter(c -> namespace.equals(namespaceOf(body(c))))
                  .map(c -> c.receivedAt())
                  .max(Instant::compareTo)
                  .orElseThrow();
          await()
              .atMost(Duration.ofSeconds(10))
              .until(
                  () ->
                      reconciles.settledAfter(namespace + "/setup", lastCall)
                          && operator.inFlight() == 0
                          && operator.waiting() == 0);
        }
        assertThat(lambda.invocations()).hasSize(3);
        assertThat(bodies(lambda))
            .containsExactlyInAnyOrder(
                "team-a {\"host\":\"a-1\"}",
                "team-b {\"host\":\"b-1\"}",
                "team-a {\"host\":\"a-2\"}");
        // team-c is not watched: its resource is never reconciled at all.
        assertThat(get(user, "team-c").getStatus()).isNull();
        assertThat(reconciles.counts()).doesNotContainKey("team-c/setup");
      }
    }
  }

  private static List<String> bodies(LambdaEmulator lambda) {
    return lambda.invocations().stream()
        .map(PayloadFromNamespacesTest::body)
        .map(body -> namespaceOf(body) + " " + body)
        .toList();
  }

  private static String body(RecordedInvocation call) {
    return new String(call.body(), StandardCharsets.UTF_8);
  }

  /** The payload carries no namespace: the function name is the same, so tell by the value. */
  private static String namespaceOf(String body) {
    return body.contains("\"a-") ? "team-a" : body.contains("\"b-") ? "team-b" : "team-c";
  }

  private static void create(KubernetesClient user, String namespace) {
    var resource = OperatorHarness.invocation("setup", "setup", "{}");
    resource.getMetadata().setNamespace(namespace);
    resource
        .getSpec()
        .setPayloadFrom(List.of(PayloadFromTest.fromConfigMap("/host", "db", "host")));
    user.resource(resource).create();
  }

  private static LambdaInvocation get(KubernetesClient user, String namespace) {
    return user.resources(LambdaInvocation.class).inNamespace(namespace).withName("setup").get();
  }

  private static boolean reason(KubernetesClient user, String namespace, String reason) {
    var resource = get(user, namespace);
    return resource != null
        && resource.getStatus() != null
        && resource.getStatus().hasReason(reason);
  }

  private static void configMap(KubernetesClient user, String namespace, String name, String host) {
    user.configMaps()
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withData(Map.of("host", host))
                .build())
        .createOr(existing -> existing.update());
  }
}
