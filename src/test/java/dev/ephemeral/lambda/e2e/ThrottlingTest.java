package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.emulator.ConcurrencyLimitedFunction;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.metrics.OperatorMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A function with reserved concurrency below the operator's in-flight limit: Lambda throttles the
 * calls past it (429, the function did not run), the operator lowers that function's limit, and
 * the throttled resources' retries are made under it. Every resource ends Ready, each by exactly
 * one run of the function.
 */
class ThrottlingTest {

  /** Quick retries, and enough of them that a throttled resource is never given up on here. */
  private static final RetryPolicy RETRIES =
      new RetryPolicy(Duration.ofMillis(300), Duration.ofSeconds(1), 20, Duration.ofSeconds(2));

  @Test
  void callsPastAFunctionsConcurrencyAreThrottledThenMadeAndEachRunsOnce() {
    var limited =
        new ConcurrencyLimitedFunction(
            2, Duration.ofMillis(100), call -> FunctionOutcome.json(Map.of("ok", true)));
    try (var harness =
        OperatorHarness.startCountingReconciles(RETRIES, 8)) {
      harness.lambda.function("limited", limited);
      List<String> names = IntStream.range(0, 16).mapToObj(i -> "r" + i).toList();

      names.forEach(name -> harness.create(invocation(name, "limited", "{}")));

      names.forEach(name -> harness.awaitReason(name, "Invoked"));
      assertThat(limited.executed()).as("each resource's function ran once").isEqualTo(16);
      assertThat(limited.throttled()).as("Lambda throttled some calls").isPositive();
      assertThat(harness.registry.get(OperatorMetrics.THROTTLED).counter().count())
          .isEqualTo(limited.throttled());
      assertThat(
              harness
                  .registry
                  .get(OperatorMetrics.CONCURRENCY_LIMIT)
                  .tag("scope", "function")
                  .gauge()
                  .value())
          .as("the function's limit came down from the in-flight limit")
          .isLessThan(8);
      assertThat(
              harness
                  .registry
                  .get(OperatorMetrics.CONCURRENCY_LIMIT)
                  .tag("scope", "region")
                  .gauge()
                  .value())
          .as("a function's own throttle leaves the region alone")
          .isEqualTo(8);
    }
  }

  @Test
  void aFunctionLimitedToOneCallServesAllItsResourcesBesideOtherFunctions() {
    var limited =
        new ConcurrencyLimitedFunction(
            1, Duration.ofMillis(300), call -> FunctionOutcome.json(Map.of("ok", true)));
    try (var harness =
        OperatorHarness.startCountingReconciles(RETRIES, 4)) {
      harness.lambda.function("limited", limited);
      harness.lambda.function("free", call -> FunctionOutcome.json(Map.of("ok", true)));
      List<String> slow = IntStream.range(0, 8).mapToObj(i -> "slow" + i).toList();
      slow.forEach(name -> harness.create(invocation(name, "limited", "{}")));
      List<String> fast = IntStream.range(0, 4).mapToObj(i -> "fast" + i).toList();
      fast.forEach(name -> harness.create(invocation(name, "free", "{}")));

      fast.forEach(name -> harness.awaitReason(name, "Invoked"));
      slow.forEach(name -> harness.awaitReason(name, "Invoked"));
      assertThat(limited.executed()).isEqualTo(8);
    }
  }
}
