package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Specs that used to get past validation, or out of it as an exception, applied to an API that
 * (like a cluster without the CRD's rules) accepts them: durations of 20 digits, durations beyond
 * 8760h, a clientContext that is base64 of something other than a JSON object, and a null payload.
 * Each ends Ready=False, reason InvalidSpec, with a message naming the field, and its function,
 * registered and ready to answer, is never called.
 */
class HostileSpecTest {

  private static final String TWENTY_DIGITS = "99999999999999999999h";

  private static OperatorHarness harness;

  @BeforeAll
  static void start() {
    harness = OperatorHarness.start();
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @Test
  void durationsOf20DigitsAreInvalidSpecAndNothingRuns() {
    refusedWithoutCalling(
        "twenty-digit-timeout",
        r -> r.getSpec().setTimeout(TWENTY_DIGITS),
        "spec.timeout: must be between 1s and 15m, got '" + TWENTY_DIGITS + "'");
    refusedWithoutCalling(
        "twenty-digit-refresh",
        r -> r.getSpec().setRefreshInterval(TWENTY_DIGITS),
        "spec.refreshInterval: must be between 1s and 8760h (365 days), got '"
            + TWENTY_DIGITS
            + "'");
    refusedWithoutCalling(
        "twenty-digit-ttl",
        r -> secretSpec(r).setTtl(TWENTY_DIGITS),
        "spec.secret.ttl: must be between 1s and 8760h (365 days), got '" + TWENTY_DIGITS + "'");
  }

  @Test
  void durationsBeyond8760hAreInvalidSpecAndNothingRuns() {
    refusedWithoutCalling(
        "huge-refresh",
        r -> r.getSpec().setRefreshInterval("9000000000000h"),
        "spec.refreshInterval: must be between 1s and 8760h (365 days), got '9000000000000h'");
    refusedWithoutCalling(
        "huge-ttl",
        r -> secretSpec(r).setTtl("8761h"),
        "spec.secret.ttl: must be between 1s and 8760h (365 days), got '8761h'");
  }

  /** The longest durations work end to end: the clock arithmetic holds a year ahead. */
  @Test
  void refreshIntervalAndTtlOf8760hAreInvokedOnce() {
    String function = "year-long";
    harness.lambda.function(function, call -> FunctionOutcome.json(Map.of("ok", true)));
    var resource = invocation("year-long", function, "{}");
    resource.getSpec().setRefreshInterval("8760h");
    secretSpec(resource).setTtl("8760h");
    Instant created = Instant.now();
    harness.create(resource);

    LambdaInvocation invoked = harness.awaitReason("year-long", "Invoked");

    Instant yearAhead = created.plus(Duration.ofDays(365));
    assertThat(Instant.parse(invoked.getStatus().getExpiryTime()))
        .isCloseTo(yearAhead, within(1, ChronoUnit.MINUTES));
    assertThat(Instant.parse(invoked.getStatus().getNextRefreshTime()))
        .isCloseTo(yearAhead, within(1, ChronoUnit.MINUTES));
    assertThat(harness.lambda.invocationCount(function)).isEqualTo(1);
  }

  @Test
  void clientContextThatIsNotBase64OfAJsonObjectIsInvalidSpecAndNothingRuns() {
    String expected =
        "spec.clientContext: must be standard base64 of a JSON object (such as e30= for {}), and"
            + " it decodes to something else";
    LambdaInvocation text =
        refusedWithoutCalling(
            "client-context-text",
            r -> r.getSpec().setClientContext("aGVsbG8gd29ybGQ="), // hello world
            expected);
    LambdaInvocation array =
        refusedWithoutCalling(
            "client-context-array",
            r -> r.getSpec().setClientContext("WzEsMiwzXQ=="), // [1,2,3]
            expected);

    assertThat(message(text)).doesNotContain("aGVsbG8gd29ybGQ=").doesNotContain("hello");
    assertThat(message(array)).doesNotContain("WzEsMiwzXQ==");
  }

  @Test
  void nullPayloadIsInvalidSpecAndNothingRuns() {
    refusedWithoutCalling(
        "null-payload",
        r -> r.getSpec().setPayload(NullNode.getInstance()),
        "spec.payload: required (any JSON value), got null");

    // The API held a null, not a missing field: the operator saw the null itself.
    Map<String, Object> spec =
        harness
            .client()
            .genericKubernetesResources("lambda.ephemeral.dev/v1alpha1", "LambdaInvocation")
            .inNamespace(NAMESPACE)
            .withName("null-payload")
            .get()
            .get("spec");
    assertThat(spec).containsEntry("payload", null);
  }

  /**
   * Creates a resource calling a function of its own, changed by {@code hostile}; waits for
   * InvalidSpec with {@code violation} in the message, then checks that the function stays uncalled
   * and no Secret appears.
   */
  private static LambdaInvocation refusedWithoutCalling(
      String name, Consumer<LambdaInvocation> hostile, String violation) {
    String function = name + "-fn";
    harness.lambda.function(function, call -> FunctionOutcome.json(Map.of("ok", true)));
    var resource = invocation(name, function, "{\"service\":\"api\"}");
    hostile.accept(resource);
    harness.create(resource);

    LambdaInvocation reported = harness.awaitReason(name, "InvalidSpec");

    var ready = reported.getStatus().readyCondition().orElseThrow();
    assertThat(ready.getStatus()).as(name).isEqualTo("False");
    assertThat(ready.getReason()).as(name).isEqualTo("InvalidSpec");
    assertThat(ready.getMessage()).as(name).contains(violation);
    // Reported, and its reconcile over with no call queued: none is coming.
    harness.awaitDecided(name, 0);
    assertThat(harness.lambda.invocationCount(function)).isZero();
    assertThat(harness.secret(name)).as(name).isNull();
    return reported;
  }

  private static String message(LambdaInvocation resource) {
    return resource.getStatus().readyCondition().orElseThrow().getMessage();
  }
}
