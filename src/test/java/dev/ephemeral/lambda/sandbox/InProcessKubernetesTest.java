package dev.ephemeral.lambda.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The in-process API server answers requests that name one object from its key index, and still
 * behaves as the API server the operator's client expects: the latest state, a 409 on a stale
 * update, 404 after a delete, a status write that leaves the spec alone, merge patches, lists with
 * label selectors, and watch events.
 */
class InProcessKubernetesTest {

  private static final String NAMESPACE = "team-a";
  private static final String OTHER_NAMESPACE = "team-b";

  private static InProcessKubernetes kubernetes;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    kubernetes = InProcessKubernetes.start();
    client = kubernetes.client();
  }

  @AfterAll
  static void stop() {
    kubernetes.close();
  }

  private static Secret secret(String namespace, String name, String value) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .addToLabels("value", value)
        .endMetadata()
        .withData(Map.of("v", java.util.Base64.getEncoder().encodeToString(value.getBytes())))
        .build();
  }

  @Test
  void anObjectIsFoundByNameInItsNamespaceAmongMany() {
    for (int i = 0; i < 300; i++) {
      client.resource(secret(NAMESPACE, "many-" + i, "a" + i)).create();
      client.resource(secret(OTHER_NAMESPACE, "many-" + i, "b" + i)).create();
    }

    assertThat(client.secrets().inNamespace(NAMESPACE).withName("many-123").get())
        .extracting(s -> s.getMetadata().getLabels().get("value"))
        .isEqualTo("a123");
    assertThat(client.secrets().inNamespace(OTHER_NAMESPACE).withName("many-123").get())
        .extracting(s -> s.getMetadata().getLabels().get("value"))
        .isEqualTo("b123");
    assertThat(client.secrets().inNamespace(NAMESPACE).withName("many-300").get()).isNull();
    assertThat(client.secrets().inNamespace(NAMESPACE).withLabel("value", "a7").list().getItems())
        .extracting(s -> s.getMetadata().getName())
        .containsExactly("many-7");
  }

  @Test
  void aGetReturnsTheLatestWriteAndAStaleUpdateIsAConflict() {
    Secret created = client.resource(secret(NAMESPACE, "latest", "one")).create();
    Secret updated =
        client
            .secrets()
            .inNamespace(NAMESPACE)
            .withName("latest")
            .edit(
                s ->
                    new SecretBuilder(s)
                        .editMetadata()
                        .addToLabels("value", "two")
                        .endMetadata()
                        .build());

    assertThat(client.secrets().inNamespace(NAMESPACE).withName("latest").get().getMetadata())
        .satisfies(
            m -> {
              assertThat(m.getLabels()).containsEntry("value", "two");
              assertThat(m.getResourceVersion())
                  .isEqualTo(updated.getMetadata().getResourceVersion())
                  .isNotEqualTo(created.getMetadata().getResourceVersion());
            });
    assertThatThrownBy(() -> client.resource(created).update())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    assertThatThrownBy(() -> client.resource(secret(NAMESPACE, "latest", "three")).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
  }

  @Test
  void aDeletedObjectIsGoneAndItsNameCanBeTakenAgain() {
    client.resource(secret(NAMESPACE, "deleted", "old")).create();

    client.secrets().inNamespace(NAMESPACE).withName("deleted").delete();

    assertThat(client.secrets().inNamespace(NAMESPACE).withName("deleted").get()).isNull();
    client.resource(secret(NAMESPACE, "deleted", "new")).create();
    assertThat(client.secrets().inNamespace(NAMESPACE).withName("deleted").get())
        .extracting(s -> s.getMetadata().getLabels().get("value"))
        .isEqualTo("new");
  }

  @Test
  void aStatusWriteChangesOnlyTheStatusAndAPatchOnlyTheSpec() {
    var resource = new LambdaInvocation();
    resource.setMetadata(new ObjectMetaBuilder().withName("cr").withNamespace(NAMESPACE).build());
    var spec = new LambdaInvocationSpec();
    spec.setFunctionName("first");
    resource.setSpec(spec);
    LambdaInvocation created = client.resource(resource).create();

    var status = new LambdaInvocationStatus();
    status.setSecretName("written-by-status");
    created.setStatus(status);
    created.getSpec().setFunctionName("ignored-by-a-status-write");
    client.resource(created).updateStatus();
    var resources = client.resources(LambdaInvocation.class).inNamespace(NAMESPACE);
    resources
        .withName("cr")
        .edit(
            r -> {
              r.getSpec().setFunctionName("second");
              return r;
            });

    LambdaInvocation stored = resources.withName("cr").get();
    assertThat(stored.getSpec().getFunctionName()).isEqualTo("second");
    assertThat(stored.getStatus().getSecretName()).isEqualTo("written-by-status");
    assertThat(stored.getMetadata().getGeneration()).isEqualTo(2L);
  }

  @Test
  void aWatchSeesAddsUpdatesAndDeletesOfObjectsWrittenByKey() {
    List<String> events = new CopyOnWriteArrayList<>();
    try (var watch =
        client
            .secrets()
            .inNamespace(OTHER_NAMESPACE)
            .withLabel("watched")
            .watch(
                new Watcher<Secret>() {
                  @Override
                  public void eventReceived(Action action, Secret secret) {
                    events.add(action + " " + secret.getMetadata().getName());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      Secret watched = secret(OTHER_NAMESPACE, "watched", "1");
      watched.getMetadata().getLabels().put("watched", "yes");
      client.resource(watched).create();
      client
          .secrets()
          .inNamespace(OTHER_NAMESPACE)
          .withName("watched")
          .edit(
              s ->
                  new SecretBuilder(s)
                      .editMetadata()
                      .addToLabels("value", "2")
                      .endMetadata()
                      .build());
      client.secrets().inNamespace(OTHER_NAMESPACE).withName("watched").delete();

      await()
          .untilAsserted(
              () ->
                  assertThat(events)
                      .containsExactly("ADDED watched", "MODIFIED watched", "DELETED watched"));
    }
  }
}
