package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.secret.SecretLayout.DATA_HASH_ANNOTATION;
import static dev.ephemeral.lambda.secret.SecretLayout.INVOCATION_LABEL;
import static dev.ephemeral.lambda.secret.SecretLayout.INVOKED_AT_ANNOTATION;
import static dev.ephemeral.lambda.secret.SecretLayout.MANAGED_BY_LABEL;
import static dev.ephemeral.lambda.secret.SecretLayout.MANAGED_BY_VALUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.secret.SecretWriter;
import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Preconditions;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What the operator does with Secrets it did not write: a Secret staged to look like a deleted
 * predecessor's is taken over with nothing of it kept, and a delete never removes a Secret that
 * replaced the one the operator checked.
 */
class SecretSafetyTest {

  /**
   * The annotation java-operator-sdk puts on a write so its informer knows it as the operator's.
   */
  private static final String PREVIOUS_ANNOTATION = "javaoperatorsdk.io/previous";

  // --- a staged Secret that looks left by a predecessor

  @Test
  void stagedSecretIsTakenOverWithExactlyTheOperatorsMetadata() {
    try (var harness = OperatorHarness.start()) {
      harness.lambda.function("generator", call -> FunctionOutcome.json(Map.of("token", "t-1")));
      Secret staged =
          harness.client().secrets().resource(staged("api-key", "Opaque", false)).create();

      harness.create(invocation("api-key", "generator", "{}"));

      LambdaInvocation ready = harness.awaitReason("api-key", "Invoked");
      Secret secret = harness.secret("api-key");
      assertThat(secret.getMetadata().getUid()).isEqualTo(staged.getMetadata().getUid());
      assertThat(secret.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(
              ref -> {
                assertThat(ref.getKind()).isEqualTo("LambdaInvocation");
                assertThat(ref.getName()).isEqualTo("api-key");
                assertThat(ref.getUid()).isEqualTo(ready.getMetadata().getUid());
                assertThat(ref.getController()).isTrue();
                assertThat(ref.getBlockOwnerDeletion()).isTrue();
              });
      assertThat(secret.getMetadata().getFinalizers()).isNullOrEmpty();
      assertThat(secret.getMetadata().getLabels())
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(MANAGED_BY_LABEL, MANAGED_BY_VALUE, INVOCATION_LABEL, "api-key"));
      assertThat(secret.getMetadata().getAnnotations())
          .containsOnlyKeys(INVOKED_AT_ANNOTATION, DATA_HASH_ANNOTATION, PREVIOUS_ANNOTATION)
          .doesNotContainValue("staged");
      assertThat(secret.getType()).isEqualTo("Opaque");
      assertThat(secret.getData()).containsOnlyKeys("result");
      assertThat(decoded(secret, "result")).isEqualTo("{\"token\":\"t-1\"}");
    }
  }

  @Test
  void stagedSecretOfAnotherTypeIsAConflictLeftUntouchedAndNothingIsInvoked() {
    try (var harness = OperatorHarness.start()) {
      harness.lambda.function("generator", call -> FunctionOutcome.json(Map.of("token", "t-1")));
      Secret staged =
          harness
              .client()
              .secrets()
              .resource(staged("registry", "kubernetes.io/dockerconfigjson", false))
              .create();
      Secret immutable =
          harness.client().secrets().resource(staged("frozen", "Opaque", true)).create();

      harness.create(invocation("registry", "generator", "{}"));
      harness.create(invocation("frozen", "generator", "{}"));

      harness.awaitReason("registry", "SecretConflict");
      harness.awaitReason("frozen", "SecretConflict");
      assertThat(harness.lambda.invocationCount("generator")).isZero();
      assertThat(harness.secret("registry")).isEqualTo(staged);
      assertThat(harness.secret("frozen")).isEqualTo(immutable);
    }
  }

  // --- deletes name the version that was checked

  /**
   * The in-process API of {@link OperatorHarness} ignores delete preconditions (fabric8's CRUD mock
   * reads no DELETE body), so this runs the operator's {@link SecretWriter} against that mock with
   * preconditions honoured as an API server does, and replays the race: the operator reads the
   * Secret, someone else replaces it, then the operator's delete arrives.
   */
  @Test
  void secretRecreatedBetweenTheCheckAndTheDeleteIsNotDeleted() {
    try (var api = PreconditionsHonouringApi.start()) {
      LambdaInvocation owner = owner();
      Secret checked = api.client().secrets().resource(resultSecret(owner)).create();
      api.client().secrets().resource(checked).delete();
      Secret theirs =
          api.client()
              .secrets()
              .resource(
                  new SecretBuilder()
                      .withNewMetadata()
                      .withName("api-key")
                      .withNamespace(NAMESPACE)
                      .endMetadata()
                      .withData(Map.of("password", base64("theirs")))
                      .build())
              .create();
      api.dispatcher.answerNextGetWith(checked);

      boolean deleted = api.operatorsWriter().deleteIfControlled(NAMESPACE, "api-key", owner);

      assertThat(deleted).isFalse();
      assertThat(api.client().secrets().inNamespace(NAMESPACE).withName("api-key").get())
          .isEqualTo(theirs);
      assertThat(api.dispatcher.deletes)
          .singleElement()
          .extracting(DeleteOptions::getPreconditions)
          .isEqualTo(
              new Preconditions(
                  checked.getMetadata().getResourceVersion(), checked.getMetadata().getUid()));
    }
  }

  @Test
  void secretChangedBetweenTheCheckAndTheDeleteIsCheckedAgainAndDeletedWhileStillOwned() {
    try (var api = PreconditionsHonouringApi.start()) {
      LambdaInvocation owner = owner();
      Secret checked = api.client().secrets().resource(resultSecret(owner)).create();
      Secret annotated =
          api.client()
              .secrets()
              .resource(checked)
              .edit(
                  s -> {
                    s.getMetadata().getAnnotations().put("backup.example.com/taken", "now");
                    return s;
                  });
      api.dispatcher.answerNextGetWith(checked);

      boolean deleted = api.operatorsWriter().deleteIfControlled(NAMESPACE, "api-key", owner);

      assertThat(deleted).isTrue();
      assertThat(api.client().secrets().inNamespace(NAMESPACE).withName("api-key").get()).isNull();
      assertThat(api.dispatcher.deletes)
          .extracting(DeleteOptions::getPreconditions)
          .containsExactly(
              new Preconditions(
                  checked.getMetadata().getResourceVersion(), checked.getMetadata().getUid()),
              new Preconditions(
                  annotated.getMetadata().getResourceVersion(), annotated.getMetadata().getUid()));
    }
  }

  @Test
  void secretNotControlledByTheOwnerIsNeverSentADelete() {
    try (var api = PreconditionsHonouringApi.start()) {
      LambdaInvocation owner = owner();
      LambdaInvocation predecessor = owner();
      predecessor.getMetadata().setUid("uid-of-the-deleted-one");
      Secret left = api.client().secrets().resource(resultSecret(predecessor)).create();

      boolean deleted = api.operatorsWriter().deleteIfControlled(NAMESPACE, "api-key", owner);

      assertThat(deleted).isFalse();
      assertThat(api.client().secrets().inNamespace(NAMESPACE).withName("api-key").get())
          .isEqualTo(left);
      assertThat(api.dispatcher.deletes).isEmpty();
    }
  }

  @Test
  void expiredSecretIsStillDeletedByTheOperator() {
    try (var harness = OperatorHarness.start()) {
      harness.lambda.function("generator", call -> FunctionOutcome.json(Map.of("token", "t-1")));
      var resource = invocation("short", "generator", "{}");
      OperatorHarness.secretSpec(resource).setTtl("2s");
      harness.create(resource);
      harness.awaitReason("short", "Invoked");

      harness.awaitReason("short", "Expired");
      await().atMost(Duration.ofSeconds(5)).until(() -> harness.secret("short") == null);
      assertThat(
              harness.kubernetes.requests().stream()
                  .filter(
                      r ->
                          r.method().equals("DELETE")
                              && r.path().equals("/api/v1/namespaces/shop/secrets/short")
                              && OperatorHarness.OPERATOR_USER_AGENT.equals(r.userAgent())))
          .hasSize(1);
    }
  }

  // --- fixtures

  /**
   * A Secret anyone allowed to create Secrets could stage: the operator's labels and a controller
   * ownerReference naming a LambdaInvocation of that name with another uid, plus what its author
   * wants kept next to the result.
   */
  private static Secret staged(String name, String type, boolean immutable) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NAMESPACE)
        .withLabels(
            Map.of(
                MANAGED_BY_LABEL,
                MANAGED_BY_VALUE,
                INVOCATION_LABEL,
                name,
                "replicator.example.com/replicate",
                "true"))
        .withAnnotations(
            Map.of(
                "replicator.example.com/replicate-to",
                "attacker-namespace",
                PREVIOUS_ANNOTATION,
                "staged",
                "lambda.ephemeral.dev/expires-at",
                "2999-01-01T00:00:00Z"))
        .withFinalizers("attacker.example.com/keep-forever")
        .withOwnerReferences(
            invocationReference(name, "uid-of-no-live-resource"),
            new OwnerReferenceBuilder()
                .withApiVersion("v1")
                .withKind("ConfigMap")
                .withName("attacker-config")
                .withUid("attacker-config-uid")
                .build())
        .endMetadata()
        .withType(type)
        .withImmutable(immutable ? true : null)
        .withData(Map.of("planted", base64("planted"), ".dockerconfigjson", base64("{}")))
        .build();
  }

  private static OwnerReference invocationReference(String name, String uid) {
    return new OwnerReferenceBuilder()
        .withApiVersion("lambda.ephemeral.dev/v1alpha1")
        .withKind("LambdaInvocation")
        .withName(name)
        .withUid(uid)
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  private static LambdaInvocation owner() {
    var owner = invocation("api-key", "generator", "{}");
    owner.setMetadata(
        new ObjectMetaBuilder(owner.getMetadata()).withUid("uid-of-the-live-one").build());
    return owner;
  }

  /** A result Secret as the operator writes it for {@code owner}, reduced to what matters here. */
  private static Secret resultSecret(LambdaInvocation owner) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName("api-key")
        .withNamespace(NAMESPACE)
        .withLabels(Map.of(MANAGED_BY_LABEL, MANAGED_BY_VALUE, INVOCATION_LABEL, "api-key"))
        .withAnnotations(new HashMap<>(Map.of(INVOKED_AT_ANNOTATION, "2026-11-26T10:00:00Z")))
        .withOwnerReferences(
            invocationReference(owner.getMetadata().getName(), owner.getMetadata().getUid()))
        .endMetadata()
        .withType("Opaque")
        .withData(Map.of("result", base64("{\"token\":\"t-1\"}")))
        .build();
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String decoded(Secret secret, String key) {
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  /**
   * fabric8's CRUD mock server with {@link PreconditionsHonouringDispatcher} in front; {@code
   * client} is everyone else, {@code operatorClient} the operator, whose deletes are recorded.
   */
  private record PreconditionsHonouringApi(
      KubernetesMockServer server,
      PreconditionsHonouringDispatcher dispatcher,
      KubernetesClient client,
      KubernetesClient operatorClient)
      implements AutoCloseable {

    static PreconditionsHonouringApi start() {
      var dispatcher = new PreconditionsHonouringDispatcher();
      var server =
          new KubernetesMockServer(
              new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
      server.init(InetAddress.getLoopbackAddress(), 0);
      KubernetesClient client =
          server.createClient(
              builder -> builder.editOrNewConfig().withHttp2Disable(true).endConfig());
      KubernetesClient operatorClient =
          new KubernetesClientBuilder()
              .withConfig(
                  new ConfigBuilder(client.getConfiguration())
                      .withUserAgent(OperatorHarness.OPERATOR_USER_AGENT)
                      .build())
              .build();
      return new PreconditionsHonouringApi(server, dispatcher, client, operatorClient);
    }

    SecretWriter operatorsWriter() {
      return new SecretWriter(operatorClient);
    }

    @Override
    public void close() {
      operatorClient.close();
      client.close();
      server.destroy();
    }
  }

  /**
   * What fabric8's CRUD mock lacks and an API server does: a DELETE honours {@code
   * DeleteOptions.preconditions}, answering 409 Conflict when the stored object's uid or
   * resourceVersion differs. It records the options of each DELETE the operator sends, and can
   * answer the operator's next GET of an object with an earlier version of it, as if that read
   * happened just before the object changed.
   */
  private static final class PreconditionsHonouringDispatcher extends KubernetesCrudDispatcher {

    final List<DeleteOptions> deletes = new CopyOnWriteArrayList<>();
    private final Map<String, String> nextGets = new ConcurrentHashMap<>();

    void answerNextGetWith(Secret earlier) {
      nextGets.put(
          "/api/v1/namespaces/"
              + earlier.getMetadata().getNamespace()
              + "/secrets/"
              + earlier.getMetadata().getName(),
          Serialization.asJson(earlier));
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      boolean byOperator =
          OperatorHarness.OPERATOR_USER_AGENT.equals(request.getHeader("User-Agent"));
      if (byOperator && "GET".equals(request.getMethod()) && nextGets.containsKey(path)) {
        return new MockResponse().setResponseCode(200).setBody(nextGets.remove(path));
      }
      if ("DELETE".equals(request.getMethod())) {
        String body = request.getUtf8Body();
        var options =
            body == null || body.isBlank()
                ? new DeleteOptions()
                : Serialization.unmarshal(body, DeleteOptions.class);
        if (byOperator) {
          deletes.add(options);
        }
        if (options.getPreconditions() != null && !holds(options.getPreconditions(), path)) {
          return new MockResponse()
              .setResponseCode(409)
              .setBody(
                  Serialization.asJson(
                      new StatusBuilder()
                          .withStatus("Failure")
                          .withReason("Conflict")
                          .withCode(409)
                          .withMessage("Precondition failed")
                          .build()));
        }
      }
      return super.dispatch(request);
    }

    private boolean holds(Preconditions preconditions, String path) {
      MockResponse current = handleGet(path);
      if (current.code() != 200) {
        return true;
      }
      var meta =
          Serialization.unmarshal(current.getBody().readUtf8(), GenericKubernetesResource.class)
              .getMetadata();
      return (preconditions.getUid() == null
              || Objects.equals(preconditions.getUid(), meta.getUid()))
          && (preconditions.getResourceVersion() == null
              || Objects.equals(preconditions.getResourceVersion(), meta.getResourceVersion()));
    }
  }
}
