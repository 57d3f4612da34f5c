package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static dev.ephemeral.lambda.e2e.RolloutRestartTest.createWorkloads;
import static dev.ephemeral.lambda.e2e.RolloutRestartTest.restartedAt;
import static dev.ephemeral.lambda.e2e.RolloutRestartTest.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rotation with overlap (spec.secret.previousValueRetention): a new result keeps each replaced key
 * as {@code k.previous} until its time is up or the next rotation; the workloads restart once per
 * rotation, not when the previous values go; the drop time outlives the operator process.
 */
class PreviousValueRetentionTest {

  private static final String PREVIOUS_EXPIRES_AT = "lambda.ephemeral.dev/previous-expires-at";

  private OperatorHarness harness;
  private final AtomicInteger rotation = new AtomicInteger();

  @BeforeEach
  void start() {
    harness = OperatorHarness.start();
    harness.lambda.function(
        "rotating",
        call -> FunctionOutcome.json(Map.of("api_key", "key-" + rotation.incrementAndGet())));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void thePreviousValueIsKeptUntilItsTimeAndDroppedAfterAnOperatorRestartWithoutARestart() {
    createWorkloads(harness.client(), "Deployment", "consumer");
    var resource = rotating("signing-key", "8s");
    resource.getSpec().setInvokePolicy("OnChange");
    secretSpec(resource).setRolloutRestartTargets(List.of(target("Deployment", "consumer")));
    harness.create(resource);
    Secret first = awaitSecret("signing-key", s -> "key-1".equals(value(s, "api_key")));
    assertThat(first.getData()).doesNotContainKey("api_key.previous");
    assertThat(first.getMetadata().getAnnotations()).doesNotContainKey(PREVIOUS_EXPIRES_AT);
    String firstRestart = awaitRestartAfter(null);

    OperatorHarness.requestInvocation(harness.client(), "signing-key", "rotate");
    Secret rotated = awaitSecret("signing-key", s -> "key-2".equals(value(s, "api_key")));
    // Consumers accept both values during the overlap.
    assertThat(value(rotated, "api_key.previous")).isEqualTo("key-1");
    assertThat(value(rotated, "result.previous")).isEqualTo("{\"api_key\":\"key-1\"}");
    Instant dropAt = Instant.parse(rotated.getMetadata().getAnnotations().get(PREVIOUS_EXPIRES_AT));
    LambdaInvocation ready = harness.awaitReason("signing-key", "Invoked");
    assertThat(ready.getStatus().getPreviousValuesExpiryTime()).isEqualTo(dropAt.toString());
    // One restart for the rotation.
    String rotationRestart = awaitRestartAfter(firstRestart);

    // The process that wrote the previous values stops before their time; the next one drops them.
    harness.stopOperator();
    assertThat(harness.secret("signing-key").getData()).containsKey("api_key.previous");
    harness.startOperator();

    Secret dropped =
        awaitSecret("signing-key", s -> !s.getData().containsKey("api_key.previous"));
    assertThat(Instant.now()).isAfterOrEqualTo(dropAt);
    assertThat(dropped.getData()).containsOnlyKeys("api_key", "result");
    assertThat(value(dropped, "api_key")).isEqualTo("key-2");
    assertThat(dropped.getMetadata().getAnnotations()).doesNotContainKey(PREVIOUS_EXPIRES_AT);
    LambdaInvocation after =
        harness.awaitResource(
            "signing-key", r -> r.getStatus().getPreviousValuesExpiryTime() == null);
    assertThat(after.getStatus().isReady()).isTrue();
    // Dropping is no rotation: nothing invoked, nothing restarted, and the Secret reads as intact.
    harness.awaitDecided("signing-key", 0);
    assertThat(harness.lambda.invocationCount("rotating")).isEqualTo(2);
    assertThat(restartedAt(harness.client(), "Deployment", "consumer")).isEqualTo(rotationRestart);
  }

  @Test
  void theNextRotationReplacesThePreviousValue() {
    harness.create(rotating("webhook-secret", "1h"));
    awaitSecret("webhook-secret", s -> "key-1".equals(value(s, "api_key")));

    OperatorHarness.requestInvocation(harness.client(), "webhook-secret", "1");
    awaitSecret("webhook-secret", s -> "key-2".equals(value(s, "api_key")));
    OperatorHarness.requestInvocation(harness.client(), "webhook-secret", "2");
    Secret third = awaitSecret("webhook-secret", s -> "key-3".equals(value(s, "api_key")));

    assertThat(value(third, "api_key.previous")).isEqualTo("key-2");
    assertThat(third.getData())
        .containsOnlyKeys("api_key", "result", "api_key.previous", "result.previous");
  }

  private LambdaInvocation rotating(String name, String retention) {
    var resource = invocation(name, "rotating", "{}");
    resource.getMetadata().setAnnotations(new HashMap<>());
    secretSpec(resource).setKeys(Map.of("api_key", "/api_key"));
    secretSpec(resource).setPreviousValueRetention(retention);
    return resource;
  }

  private Secret awaitSecret(String name, Predicate<Secret> condition) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> harness.secret(name), s -> s != null && condition.test(s));
  }

  private String awaitRestartAfter(String before) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> restartedAt(harness.client(), "Deployment", "consumer"),
            at -> at != null && !at.equals(before));
  }


  private static String value(Secret secret, String key) {
    return secret.getData().containsKey(key) ? InvocationLifecycleTest.decode(secret, key) : null;
  }
}
