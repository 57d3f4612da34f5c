package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.emulator.FunctionOutcome;
import java.util.Map;
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
    harness.lambda.function(
        "slow",
        call -> {
          highest.accumulateAndGet(running.incrementAndGet(), Math::max);
          try {
            Thread.sleep(500);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          running.decrementAndGet();
          return FunctionOutcome.json(Map.of("ok", true));
        });
    for (int i = 0; i < 8; i++) {
      harness.create(invocation("slow-" + i, "slow", "{\"i\":" + i + "}"));
    }
    for (int i = 0; i < 8; i++) {
      harness.awaitReason("slow-" + i, "Invoked");
    }
    // The harness configures at most 4 in flight; 8 slow calls queued at once reach it.
    assertThat(highest.get()).isLessThanOrEqualTo(4).isGreaterThan(1);
    assertThat(harness.lambda.invocationCount("slow")).isEqualTo(8);
  }
}
