package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.PayloadFromTest.fromSecret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resources that read each other's results in a ring would invoke each other without end: the
 * operator refuses them instead, and a broken ring invokes again.
 */
class ChainedResultsTest {

  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.start();
    // A new result on every call, as a rotating credential would be.
    var counter = new AtomicInteger();
    harness.lambda.function(
        "rotate", call -> FunctionOutcome.json(Map.of("n", counter.incrementAndGet())));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void aRingOfTwoIsRefusedAndInvokesEachAtMostOnce() {
    harness.create(reading("a", "b"));
    harness.create(reading("b", "a"));

    awaitRefused("a", "b");
  }

  @Test
  void aRingOfThreeIsRefusedAndInvokesEachAtMostOnce() {
    harness.create(reading("a", "b"));
    harness.create(reading("b", "c"));
    harness.create(reading("c", "a"));

    awaitRefused("a", "b", "c");
  }

  @Test
  void breakingTheRingInvokesItsMembersAgain() {
    harness.create(reading("a", "b"));
    harness.create(reading("b", "a"));
    awaitRefused("a", "b");

    // b no longer reads a: b is invoked for its new spec, and a for b's new result.
    OperatorHarness.edit(
        harness.client(),
        "b",
        r -> {
          r.getSpec().setPayloadFrom(null);
          return r;
        });

    harness.awaitReason("b", "Invoked");
    harness.awaitReason("a", "Invoked");
  }

  /**
   * At least one member is refused with the ring in its message; the calls stop (each member was
   * invoked at most once, before the ring was complete), and stay stopped.
   */
  private void awaitRefused(String... members) {
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                List.of(members).stream()
                    .map(harness::get)
                    .anyMatch(
                        r ->
                            r.getStatus() != null
                                && r.getStatus().hasReason("InvalidSpec")
                                && r.getStatus()
                                    .readyCondition()
                                    .orElseThrow()
                                    .getMessage()
                                    .contains("a ring of chained results")));
    long calls = harness.lambda.invocationCount("rotate");
    assertThat(calls).isLessThanOrEqualTo(members.length);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(5))
        .until(() -> harness.lambda.invocationCount("rotate") == calls);
  }

  private static LambdaInvocation reading(String name, String resultOf) {
    var resource = invocation(name, "rotate", "{}");
    var input = fromSecret("/previous", resultOf, "result");
    // The first member starts before any result exists.
    input.getSecretKeyRef().setOptional(true);
    resource.getSpec().setPayloadFrom(List.of(input));
    return resource;
  }
}
