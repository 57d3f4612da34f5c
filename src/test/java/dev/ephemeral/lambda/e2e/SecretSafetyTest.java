package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.secret.SecretLayout.DATA_HASH_ANNOTATION;
import static dev.ephemeral.lambda.secret.SecretLayout.INVOCATION_LABEL;
import static dev.ephemeral.lambda.secret.SecretLayout.INVOKED_AT_ANNOTATION;
import static dev.ephemeral.lambda.secret.SecretLayout.MANAGED_BY_LABEL;
import static dev.ephemeral.lambda.secret.SecretLayout.MANAGED_BY_VALUE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the operator does with Secrets it did not write: a Secret staged to look like a deleted
 * predecessor's is taken over with nothing of it kept.
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

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String decoded(Secret secret, String key) {
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}
