package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.OPERATOR_USER_AGENT;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.json;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.RolloutRestartTarget;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * spec.secret.rolloutRestartTargets end to end: the operator restarts the listed workloads (the
 * pod template annotation a rollout follows) once for each change of the Secret's data.
 */
class RolloutRestartTest {

  static final String RESTARTED_AT = "lambda.ephemeral.dev/restartedAt";

  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.start();
    // Returns its payload: the data changes exactly when the payload does.
    harness.lambda.function("echo", call -> FunctionOutcome.result(call.payload()));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void targetIsRestartedOnceForEachDataChangeAndNotForRefreshesReturningTheSameData() {
    createWorkloads(harness.client(), "Deployment", "web");
    var resource = invocation("api-key", "echo", "{\"v\":1}");
    resource.getSpec().setRefreshInterval("1s");
    secretSpec(resource).setRolloutRestartTargets(List.of(target("Deployment", "web")));
    harness.create(resource);

    String first = awaitRestart("Deployment", "web", null);
    assertThat(patches("deployments", "web")).isEqualTo(1);
    // A time, carrying nothing of the result.
    assertThat(Instant.parse(first)).isBefore(Instant.now().plusSeconds(1));
    // The restart comes between the Secret write and the status.
    harness.awaitReason("api-key", "Invoked");

    // Refreshes run the function again; the data stays the same, so the pods stay.
    awaitCalls(4);
    assertThat(restartedAt("Deployment", "web")).isEqualTo(first);
    assertThat(patches("deployments", "web")).isEqualTo(1);

    // New data: one more restart.
    OperatorHarness.edit(
        harness.client(),
        "api-key",
        r -> {
          r.getSpec().setPayload(json("{\"v\":2}"));
          return r;
        });
    String second = awaitRestart("Deployment", "web", first);
    assertThat(Instant.parse(second)).isAfter(Instant.parse(first));
    assertThat(patches("deployments", "web")).isEqualTo(2);
    assertThat(harness.secret("api-key").getData().get("result"))
        .isEqualTo(Base64.getEncoder().encodeToString("{\"v\":2}".getBytes()));

    // And again refreshes with that data restart nothing.
    awaitCalls(calls() + 3);
    assertThat(restartedAt("Deployment", "web")).isEqualTo(second);
    assertThat(patches("deployments", "web")).isEqualTo(2);
  }

  @Test
  void missingTargetIsAWarningEventAndTheResourceStaysReady() {
    createWorkloads(harness.client(), "StatefulSet", "db");
    createWorkloads(harness.client(), "DaemonSet", "agent");
    var resource = invocation("api-key", "echo", "{\"v\":1}");
    secretSpec(resource)
        .setRolloutRestartTargets(
            List.of(
                target("Deployment", "gone"),
                target("StatefulSet", "db"),
                target("DaemonSet", "agent")));
    harness.create(resource);

    LambdaInvocation ready = harness.awaitReason("api-key", "Invoked");
    assertThat(ready.getStatus().isReady()).isTrue();
    // The missing one stops neither the others nor the resource.
    awaitRestart("StatefulSet", "db", null);
    awaitRestart("DaemonSet", "agent", null);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              List<Event> events = events("api-key");
              assertThat(events)
                  .anySatisfy(
                      e -> {
                        assertThat(e.getType()).isEqualTo("Warning");
                        assertThat(e.getReason()).isEqualTo("RolloutRestartTargetNotFound");
                        assertThat(e.getMessage())
                            .isEqualTo(
                                "Deployment gone not found in namespace shop; not restarted");
                      });
              assertThat(events)
                  .anySatisfy(
                      e -> {
                        assertThat(e.getType()).isEqualTo("Normal");
                        assertThat(e.getReason()).isEqualTo("RolloutRestarted");
                        assertThat(e.getMessage())
                            .isEqualTo(
                                "StatefulSet db restarted: the data of Secret api-key changed");
                      });
            });

    // Restarting (or failing to) starts nothing: once the operator is done deciding, no other
    // call, no other restart, still Ready.
    harness.awaitDecided("api-key", 0);
    assertThat(calls()).isEqualTo(1);
    assertThat(patches("statefulsets", "db")).isEqualTo(1);
    assertThat(patches("daemonsets", "agent")).isEqualTo(1);
    assertThat(patches("deployments", "gone")).isEqualTo(1);
    assertThat(harness.get("api-key").getStatus().isReady()).isTrue();
    assertThat(events("api-key"))
        .filteredOn(e -> e.getReason().equals("RolloutRestartTargetNotFound"))
        .hasSize(1);
  }

  @Test
  void restartLeftUndoneByAStoppedOperatorIsDoneByTheNextOneWithoutInvoking() {
    createWorkloads(harness.client(), "Deployment", "web");
    var resource = invocation("api-key", "echo", "{\"v\":1}");
    resource.getSpec().setInvokePolicy(InvokePolicy.OnChange.name());
    secretSpec(resource).setRolloutRestartTargets(List.of(target("Deployment", "web")));
    harness.create(resource);
    String first = awaitRestart("Deployment", "web", null);
    LambdaInvocation ready = harness.awaitReason("api-key", "Invoked");
    String dataHash =
        harness
            .secret("api-key")
            .getMetadata()
            .getAnnotations()
            .get("lambda.ephemeral.dev/data-hash");
    assertThat(ready.getStatus().getRolloutRestartedFor()).isEqualTo(dataHash);

    // What an operator stopped between writing new data and restarting leaves: a status that
    // records an earlier data's restart.
    harness.stopOperator();
    ready.getStatus().setRolloutRestartedFor("the-data-before");
    harness.client().resource(ready).updateStatus();
    harness.startOperator();

    String second = awaitRestart("Deployment", "web", first);
    assertThat(Instant.parse(second)).isAfter(Instant.parse(first));
    harness.awaitResource(
        "api-key", r -> dataHash.equals(r.getStatus().getRolloutRestartedFor()));
    assertThat(patches("deployments", "web")).isEqualTo(2);
    assertThat(calls()).as("OnChange: the restarted operator invokes nothing").isEqualTo(1);
    assertThat(harness.get("api-key").getStatus().isReady()).isTrue();
  }

  static RolloutRestartTarget target(String kind, String name) {
    return new RolloutRestartTarget(kind, name);
  }

  /** Creates a minimal workload of {@code kind} in {@link OperatorHarness#NAMESPACE}. */
  static void createWorkloads(KubernetesClient client, String kind, String... names) {
    for (String name : names) {
      var labels = Map.of("app", name);
      PodTemplateSpec template =
          new PodTemplateSpecBuilder()
              .withNewMetadata()
              .withLabels(labels)
              .endMetadata()
              .withNewSpec()
              .addNewContainer()
              .withName("app")
              .withImage("registry.example/app:1")
              .endContainer()
              .endSpec()
              .build();
      HasMetadata workload =
          switch (kind) {
            case "Deployment" ->
                new DeploymentBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(NAMESPACE)
                    .endMetadata()
                    .withNewSpec()
                    .withNewSelector()
                    .withMatchLabels(labels)
                    .endSelector()
                    .withTemplate(template)
                    .endSpec()
                    .build();
            case "StatefulSet" ->
                new StatefulSetBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(NAMESPACE)
                    .endMetadata()
                    .withNewSpec()
                    .withServiceName(name)
                    .withNewSelector()
                    .withMatchLabels(labels)
                    .endSelector()
                    .withTemplate(template)
                    .endSpec()
                    .build();
            case "DaemonSet" ->
                new DaemonSetBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(NAMESPACE)
                    .endMetadata()
                    .withNewSpec()
                    .withNewSelector()
                    .withMatchLabels(labels)
                    .endSelector()
                    .withTemplate(template)
                    .endSpec()
                    .build();
            default -> throw new IllegalArgumentException(kind);
          };
      client.resource(workload).create();
    }
  }

  /** The workload's pod template annotation {@link #RESTARTED_AT}; null when unset. */
  static String restartedAt(KubernetesClient client, String kind, String name) {
    var apps = client.apps();
    PodTemplateSpec template =
        switch (kind) {
          case "Deployment" ->
              apps.deployments().inNamespace(NAMESPACE).withName(name).get().getSpec().getTemplate();
          case "StatefulSet" ->
              apps.statefulSets()
                  .inNamespace(NAMESPACE)
                  .withName(name)
                  .get()
                  .getSpec()
                  .getTemplate();
          case "DaemonSet" ->
              apps.daemonSets().inNamespace(NAMESPACE).withName(name).get().getSpec().getTemplate();
          default -> throw new IllegalArgumentException(kind);
        };
    return Optional.ofNullable(template.getMetadata().getAnnotations())
        .map(a -> a.get(RESTARTED_AT))
        .orElse(null);
  }

  private String restartedAt(String kind, String name) {
    return restartedAt(harness.client(), kind, name);
  }

  /** Waits until the workload's restart annotation is set and differs from {@code before}. */
  private String awaitRestart(String kind, String name, String before) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> restartedAt(kind, name), v -> v != null && !v.equals(before));
  }

  /** The operator's PATCH requests to one workload. */
  private long patches(String resource, String name) {
    String path = "/apis/apps/v1/namespaces/" + NAMESPACE + "/" + resource + "/" + name;
    return harness.kubernetes.requests().stream()
        .filter(r -> OPERATOR_USER_AGENT.equals(r.userAgent()))
        .filter(r -> r.method().equals("PATCH") && r.path().split("\\?")[0].equals(path))
        .count();
  }

  private int calls() {
    return harness.lambda.invocations().size();
  }

  private void awaitCalls(int atLeast) {
    await().atMost(Duration.ofSeconds(20)).until(() -> calls() >= atLeast);
  }

  private List<Event> events(String name) {
    return harness.client().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(name))
        .filter(
            e ->
                List.of("RolloutRestarted", "RolloutRestartTargetNotFound", "RolloutRestartFailed")
                    .contains(e.getReason()))
        .toList();
  }
}
