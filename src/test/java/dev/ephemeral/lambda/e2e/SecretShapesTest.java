package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.InvocationLifecycleTest.decode;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.emulator.FunctionOutcome;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** spec.secret.type and spec.secret.template, end to end: what is written, and what is not. */
class SecretShapesTest {

  private static final String RESULT =
      "{\"user\":\"app\",\"password\":\"pw-123\",\"cert\":\"CERT\",\"key\":\"KEY\","
          + "\"ssh\":\"OPENSSH\",\"blank\":\"\",\"registry\":\"registry.example\","
          + "\"config\":{\"auths\":{}},\"hosts\":[\"db-1\",\"db-2\"]}";

  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.start();
    harness.lambda.function(
        "issuer", call -> FunctionOutcome.result(RESULT.getBytes(StandardCharsets.UTF_8)));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  /** A type, the keys from pointers and templates, and the keys the Secret must then hold. */
  private record Shape(
      String name,
      String type,
      Map<String, String> keys,
      Map<String, String> templates,
      Map<String, String> expected) {}

  @Test
  void eachTypeIsWrittenWithTheKeysItRequires() {
    var shapes =
        List.of(
            new Shape(
                "tls",
                "kubernetes.io/tls",
                Map.of("tls.crt", "/cert", "tls.key", "/key"),
                Map.of(),
                Map.of("tls.crt", "CERT", "tls.key", "KEY")),
            new Shape(
                "basic",
                "kubernetes.io/basic-auth",
                Map.of("username", "/user"),
                Map.of("password", "{{ result.password }}"),
                Map.of("username", "app", "password", "pw-123")),
            new Shape(
                "password-only",
                "kubernetes.io/basic-auth",
                Map.of("password", "/password"),
                Map.of(),
                Map.of("password", "pw-123")),
            new Shape(
                "registry",
                "kubernetes.io/dockerconfigjson",
                Map.of(),
                Map.of(
                    ".dockerconfigjson",
                    "{\"auths\":{\"{{ result.registry }}\":{\"auth\":"
                        + "{{ (result.user ~ ':' ~ result.password) | base64encode | json }}}}}"),
                Map.of(
                    ".dockerconfigjson",
                    "{\"auths\":{\"registry.example\":{\"auth\":\""
                        + base64("app:pw-123")
                        + "\"}}}")),
            new Shape(
                "legacy-registry",
                "kubernetes.io/dockercfg",
                Map.of(".dockercfg", "/config/auths"),
                Map.of(),
                Map.of(".dockercfg", "{}")),
            new Shape(
                "ssh",
                "kubernetes.io/ssh-auth",
                Map.of("ssh-privatekey", "/ssh"),
                Map.of(),
                Map.of("ssh-privatekey", "OPENSSH")),
            new Shape(
                "opaque",
                "Opaque",
                Map.of(),
                Map.of("dsn", "postgres://{{ result.user }}@{{ result.hosts | join(',') }}/app"),
                Map.of("dsn", "postgres://app@db-1,db-2/app")));
    shapes.forEach(this::create);

    for (Shape shape : shapes) {
      harness.awaitReason(shape.name(), "Invoked");
      var secret = harness.secret(shape.name());
      assertThat(secret.getType()).as(shape.name()).isEqualTo(shape.type());
      shape
          .expected()
          .forEach(
              (key, value) ->
                  assertThat(decode(secret, key)).as(shape.name() + " " + key).isEqualTo(value));
      assertThat(decode(secret, "result")).isEqualTo(RESULT);
    }
  }

  @Test
  void aRequiredKeyTheResultCannotFillIsResultKeyMissingAndNothingIsWritten() {
    var shapes =
        List.of(
            new Shape(
                "tls-without-key",
                "kubernetes.io/tls",
                Map.of("tls.crt", "/cert", "tls.key", "/no-such-field"),
                Map.of(),
                Map.of("tls.key", "/no-such-field", "kubernetes.io/tls", "needs the key tls.key")),
            new Shape(
                "ssh-empty",
                "kubernetes.io/ssh-auth",
                Map.of("ssh-privatekey", "/blank"),
                Map.of(),
                Map.of("kubernetes.io/ssh-auth", "ssh-privatekey")),
            new Shape(
                "registry-not-json",
                "kubernetes.io/dockerconfigjson",
                Map.of(".dockerconfigjson", "/password"),
                Map.of(),
                Map.of("kubernetes.io/dockerconfigjson", ".dockerconfigjson")),
            new Shape(
                "basic-template-fails",
                "kubernetes.io/basic-auth",
                Map.of(),
                Map.of("username", "{{ result.users[0].name }}"),
                Map.of(
                    "spec.secret.template.username",
                    "does not have",
                    "kubernetes.io/basic-auth",
                    "needs the key username")));
    shapes.forEach(this::create);

    for (Shape shape : shapes) {
      var resource = harness.awaitReason(shape.name(), "ResultKeyMissing");
      String message = resource.getStatus().readyCondition().orElseThrow().getMessage();
      shape
          .expected()
          .forEach((a, b) -> assertThat(message).as(shape.name()).contains(a).contains(b));
      assertThat(message).doesNotContain("pw-123", "OPENSSH");
      assertThat(harness.secret(shape.name())).as(shape.name()).isNull();
    }
    assertThat(harness.lambda.invocations()).hasSize(shapes.size());
  }

  @Test
  void changingTheTypeReplacesTheSecret() {
    create(
        new Shape(
            "cert", "Opaque", Map.of("tls.crt", "/cert", "tls.key", "/key"), Map.of(), Map.of()));
    harness.awaitReason("cert", "Invoked");
    var opaque = harness.secret("cert");
    assertThat(opaque.getType()).isEqualTo("Opaque");

    OperatorHarness.edit(
        harness.client(),
        "cert",
        r -> {
          r.getSpec().getSecret().setType("kubernetes.io/tls");
          return r;
        });

    harness.awaitResource(
        "cert",
        r ->
            r.getMetadata().getGeneration() == 2
                && Long.valueOf(2).equals(r.getStatus().getObservedGeneration())
                && r.getStatus().isReady());
    var tls = harness.secret("cert");
    assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(tls.getMetadata().getUid()).isNotEqualTo(opaque.getMetadata().getUid());
    assertThat(decode(tls, "tls.crt")).isEqualTo("CERT");
    assertThat(decode(tls, "tls.key")).isEqualTo("KEY");
    // One call for the creation, one for the spec change: the delete and create start none.
    assertThat(harness.lambda.invocations()).hasSize(2);
    assertThat(harness.get("cert").getStatus().isReady()).isTrue();
  }

  @Test
  void aTemplateThatDoesNotCompileIsInvalidSpecAndNothingIsInvoked() {
    create(
        new Shape("hostile", "Opaque", Map.of(), Map.of("x", "{{ result.getClass() }}"), Map.of()));

    var resource = harness.awaitReason("hostile", "InvalidSpec");

    assertThat(resource.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("spec.secret.template.x")
        .contains("method calls");
    assertThat(harness.lambda.invocations()).isEmpty();
    assertThat(harness.secret("hostile")).isNull();
  }

  private void create(Shape shape) {
    var resource = invocation(shape.name(), "issuer", "{}");
    var secret = secretSpec(resource);
    secret.setType(shape.type());
    if (!shape.keys().isEmpty()) {
      secret.setKeys(shape.keys());
    }
    if (!shape.templates().isEmpty()) {
      secret.setTemplate(shape.templates());
    }
    harness.create(resource);
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
