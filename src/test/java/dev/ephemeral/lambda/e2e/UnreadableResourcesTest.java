package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.JsonLimits;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One LambdaInvocation the operator's model cannot take as it is never stops the operator: the
 * others, present before it starts, are served. (The test JVM raised Jackson's limits first, as the
 * operator's main does: see JsonLimitsInTests.)
 */
class UnreadableResourcesTest {

  /** Deeper than Jackson's default limit (1,000), which once made the whole list unreadable. */
  private static final int DEEP = 1_500;

  /** Deep enough to overflow a default thread stack where the client reads watch events. */
  private static final int WATCHED_DEPTH = 3_000;

  private OperatorHarness harness;

  @AfterEach
  void stop() {
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  void aDeepPayloadAndAMistypedSpecAmongTwentyValidOnesStopNothing() {
    harness = OperatorHarness.start();
    harness.lambda.function("constant", call -> FunctionOutcome.json(Map.of("key", "value")));
    harness.stopOperator();

    IntStream.range(0, 20)
        .forEach(i -> harness.create(invocation("valid-" + i, "constant", "{\"n\":" + i + "}")));
    harness.client().resource(object("deep", "\"payload\":" + nested(DEEP))).create();
    harness
        .client()
        .resource(object("mistyped", "\"payload\":{},\"secret\":{\"keys\":[\"/a\",\"/b\"]}"))
        .create();

    harness.startOperator();

    IntStream.range(0, 20).forEach(i -> harness.awaitReason("valid-" + i, "Invoked"));
    harness.awaitReason("deep", "Invoked");
    var mistyped = harness.awaitReason("mistyped", "InvalidSpec");
    assertThat(mistyped.getStatus().readyCondition().orElseThrow().getMessage())
        .startsWith("spec.secret.keys: must be an object whose values are strings");
    assertThat(harness.lambda.invocations())
        .filteredOn(c -> c.body().length > DEEP * 6)
        .as("the deep payload was sent whole")
        .hasSize(1);
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(21);
  }

  @Test
  void aDeepPayloadArrivingThroughAWatchIsServed() {
    harness = OperatorHarness.start();
    harness.lambda.function("constant", call -> FunctionOutcome.json(Map.of("key", "value")));
    harness.create(invocation("before", "constant", "{}"));
    harness.awaitReason("before", "Invoked");

    // The test's own client writes the object with recursion too: give it the stack it needs.
    onDeepStack(
        () ->
            harness
                .client()
                .resource(object("deeper", "\"payload\":" + nested(WATCHED_DEPTH)))
                .create());
    harness.create(invocation("after", "constant", "{}"));

    harness.awaitReason("deeper", "Invoked");
    harness.awaitReason("after", "Invoked");
    assertThat(harness.lambda.invocationCount("constant")).isEqualTo(3);
  }

  private static void onDeepStack(Runnable action) {
    var failure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
    Thread thread =
        JsonLimits.deepStackThreads("test")
            .newThread(
                () -> {
                  try {
                    action.run();
                  } catch (Throwable e) {
                    failure.set(e);
                  }
                });
    thread.start();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertThat(failure.get()).isNull();
  }

  private static String nested(int depth) {
    return "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
  }

  private static String object(String name, String spec) {
    return "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\",\"kind\":\"LambdaInvocation\","
        + "\"metadata\":{\"name\":\""
        + name
        + "\",\"namespace\":\""
        + NAMESPACE
        + "\"},\"spec\":{\"functionName\":\"constant\","
        + spec
        + "}}";
  }
}
