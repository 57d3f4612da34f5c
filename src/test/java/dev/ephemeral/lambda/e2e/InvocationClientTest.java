package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.emulator.FunctionOutcome;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the operator's Lambda client behaves across resources: regions and the in-flight limit. */
class InvocationClientTest {

  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.start();
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void eachResourceIsSignedForItsOwnRegionOrTheDefault() {
    harness.lambda.function("regional", call -> FunctionOutcome.json(Map.of("ok", true)));
    var east = invocation("east", "regional", "{\"r\":\"east\"}");
    east.getSpec().setRegion("us-east-1");
    harness.create(east);
    var south = invocation("south", "regional", "{\"r\":\"south\"}");
    south.getSpec().setRegion("ap-southeast-2");
    harness.create(south);
    harness.create(invocation("default", "regional", "{\"r\":\"default\"}"));

    harness.awaitReason("east", "Invoked");
    harness.awaitReason("south", "Invoked");
    harness.awaitReason("default", "Invoked");

    Map<String, String> scopeByBody = new java.util.HashMap<>();
    harness
        .lambda
        .invocations()
        .forEach(
            call ->
                scopeByBody.put(
                    new String(call.body(), java.nio.charset.StandardCharsets.UTF_8),
                    call.header("authorization")));
    assertThat(scopeByBody.get("{\"r\":\"east\"}")).contains("/us-east-1/lambda/aws4_request");
    assertThat(scopeByBody.get("{\"r\":\"south\"}"))
        .contains("/ap-southeast-2/lambda/aws4_request");
    assertThat(scopeByBody.get("{\"r\":\"default\"}")).contains("/eu-west-1/lambda/aws4_request");
  }

  @Test
  void noMoreInvocationsInFlightThanTheLimit() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger highest = new AtomicInteger();
    var release = new CountDownLatch(1);
    var held = OperatorHarness.heldUntil(release, FunctionOutcome.json(Map.of("ok", true)));
    harness.lambda.function(
        "slow",
        call -> {
          highest.accumulateAndGet(running.incrementAndGet(), Math::max);
          try {
            return held.handle(call);
          } finally {
            running.decrementAndGet();
          }
        });
    try {
      for (int i = 0; i < 8; i++) {
        harness.create(invocation("slow-" + i, "slow", "{\"i\":" + i + "}"));
      }
      // The harness configures at most 4 in flight: with every call held, 8 queued at once fill
      // the 4 slots and leave 4 waiting, and no fifth call reaches the function.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> running.get() == 4 && harness.operator().waiting() == 4);
      assertThat(harness.lambda.invocationCount("slow")).isEqualTo(4);
    } finally {
      release.countDown();
    }
    for (int i = 0; i < 8; i++) {
      harness.awaitReason("slow-" + i, "Invoked");
    }
    assertThat(highest.get()).isEqualTo(4);
    assertThat(harness.lambda.invocationCount("slow")).isEqualTo(8);
  }
}
