package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A call is queued without reading its Secret: the operator knows its own Secrets from its watch,
 * and a Secret it does not watch is found by the result's create, which fails on it, so nothing is
 * ever written over a Secret that is not the resource's.
 */
class SecretWithoutReadTest {

  private static final String SECRETS = "/api/v1/namespaces/" + NAMESPACE + "/secrets";

  @Test
  void aResultIsWrittenWithOneCreateAndNoReadOfItsSecret() {
    try (var harness = OperatorHarness.start()) {
      var requests = recordOperatorRequests(harness);
      harness.lambda.function("ok", call -> FunctionOutcome.json(Map.of("ok", true)));

      harness.create(invocation("fresh", "ok", "{}"));

      harness.awaitReason("fresh", "Invoked");
      assertThat(harness.secret("fresh")).isNotNull();
      assertThat(requests)
          .as("requests of the operator on the Secret, besides the watch's list and watch")
          .filteredOn(r -> r.endsWith(SECRETS + "/fresh") || r.equals("POST " + SECRETS))
          .containsExactly("POST " + SECRETS);
    }
  }

  @Test
  void aForeignSecretCreatedWhileTheFunctionRunsIsNeverOverwritten() {
    try (var harness = OperatorHarness.start()) {
      Secret[] foreign = new Secret[1];
      harness.lambda.function(
          "racing",
          call -> {
            foreign[0] = harness.client().secrets().resource(foreign("racing")).create();
            return FunctionOutcome.json(Map.of("ok", true));
          });

      harness.create(invocation("racing", "racing", "{}"));

      var conflicted = harness.awaitReason("racing", "SecretConflict");
      assertThat(conflicted.getStatus().readyCondition().orElseThrow().getMessage())
          .contains("Secret racing exists and is not controlled by this LambdaInvocation");
      assertThat(harness.secret("racing")).isEqualTo(foreign[0]);
      assertThat(harness.lambda.invocationCount("racing")).isEqualTo(1);
    }
  }

  @Test
  void aSecretTheWatchShowsAsAnotherResourcesIsAConflictWithoutACall() {
    try (var harness = OperatorHarness.start()) {
      harness.lambda.function("first", call -> FunctionOutcome.json(Map.of("n", 1)));
      harness.lambda.function("second", call -> FunctionOutcome.json(Map.of("n", 2)));
      var first = invocation("first", "first", "{}");
      secretSpec(first).setName("shared");
      harness.create(first);
      harness.awaitReason("first", "Invoked");
      Secret written = harness.secret("shared");

      var second = invocation("second", "second", "{}");
      secretSpec(second).setName("shared");
      harness.create(second);

      harness.awaitReason("second", "SecretConflict");
      assertThat(harness.lambda.invocationCount("second")).isZero();
      assertThat(harness.secret("shared")).isEqualTo(written);
    }
  }

  /** From the operator's next start, each of its API requests as "METHOD path". */
  private static List<String> recordOperatorRequests(OperatorHarness harness) {
    List<String> requests = new CopyOnWriteArrayList<>();
    harness.stopOperator();
    harness.interceptOperatorRequests(
        new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            requests.add(request.method() + " " + request.uri().getPath());
          }
        });
    harness.startOperator();
    return requests;
  }

  private static Secret foreign(String name) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NAMESPACE)
        .endMetadata()
        .withData(Map.of("password", "aHVudGVyMg=="))
        .build();
  }
}
