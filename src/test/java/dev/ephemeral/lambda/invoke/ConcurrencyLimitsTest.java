package dev.ephemeral.lambda.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The adaptive limits per function and per region: a throttle halves what it applies to and
 * pauses it as the service asked, calls that ran grow it back, and one function's limit never
 * holds up another's.
 */
class ConcurrencyLimitsTest {

  private Instant now = Instant.parse("2026-12-07T10:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };

  private final Map<String, ConcurrencyLimits.Limit> shown = new HashMap<>();
  private int throttles;
  private final ConcurrencyLimits.Listener listener =
      new ConcurrencyLimits.Listener() {
        @Override
        public void limitCreated(ThrottleScope scope, String key, ConcurrencyLimits.Limit limit) {
          shown.put(scope + " " + key, limit);
        }

        @Override
        public void throttled(ThrottleScope scope) {
          throttles++;
        }
      };

  private final ConcurrencyLimits limits = new ConcurrencyLimits(8, 8, clock, listener);

  @Test
  void aFunctionThrottleHalvesThatFunctionsLimitOnly() {
    fill("a", 8);
    limits.throttled(request("a", "eu-west-1"), ThrottleScope.FUNCTION, Optional.empty(), now);

    assertThat(limit("FUNCTION eu-west-1/a")).isEqualTo(4);
    assertThat(limit("REGION eu-west-1")).isEqualTo(8);
    assertThat(throttles).isEqualTo(1);
    // Seven of a still run: a waits, b does not.
    assertThat(limits.admits(request("a", "eu-west-1"))).isFalse();
    assertThat(limits.tryAcquire(request("b", "eu-west-1"))).isTrue();
  }

  @Test
  void anAccountThrottleHalvesTheRegionForEveryFunctionThereButNotOtherRegions() {
    fill("a", 4);
    limits.throttled(request("a", "eu-west-1"), ThrottleScope.REGION, Optional.empty(), now);

    assertThat(limit("REGION eu-west-1")).isEqualTo(4);
    assertThat(limit("FUNCTION eu-west-1/a")).isEqualTo(8);
    assertThat(limits.admits(request("b", "eu-west-1"))).as("3 of 4 in flight").isTrue();
    assertThat(limits.tryAcquire(request("b", "eu-west-1"))).isTrue();
    assertThat(limits.admits(request("c", "eu-west-1"))).as("4 of 4 in flight").isFalse();
    assertThat(limits.admits(request("c", "us-east-1"))).isTrue();
  }

  @Test
  void throttlesOfCallsSentBeforeTheLimitShrankCountOnce() {
    Instant sent = now;
    fill("a", 8);
    now = now.plusSeconds(1);
    for (int i = 0; i < 6; i++) {
      limits.throttled(request("a", "eu-west-1"), ThrottleScope.FUNCTION, Optional.empty(), sent);
    }

    assertThat(limit("FUNCTION eu-west-1/a")).isEqualTo(4);
    assertThat(throttles).as("each throttle is counted as one").isEqualTo(6);
  }

  @Test
  void aRetryAfterPausesTheFunctionUntilThen() {
    assertThat(limits.tryAcquire(request("a", "eu-west-1"))).isTrue();
    var until =
        limits.throttled(
            request("a", "eu-west-1"), ThrottleScope.FUNCTION, Optional.of(Duration.ofSeconds(3)), now);

    assertThat(until).contains(now.plusSeconds(3));
    assertThat(limits.admits(request("a", "eu-west-1"))).isFalse();
    now = now.plusSeconds(3);
    assertThat(limits.admits(request("a", "eu-west-1"))).isTrue();
  }

  @Test
  void withoutRetryAfterOnlyAFunctionWithNothingInFlightIsPaused() {
    fill("a", 2);
    assertThat(
            limits.throttled(request("a", "eu-west-1"), ThrottleScope.FUNCTION, Optional.empty(), now))
        .as("one call of a still runs: its end lets the next start")
        .isEmpty();
    assertThat(
            limits.throttled(request("a", "eu-west-1"), ThrottleScope.FUNCTION, Optional.empty(), now))
        .contains(now.plus(ConcurrencyLimits.IDLE_PAUSE));
  }

  @Test
  void callsThatRanGrowTheLimitBackToItsCeiling() {
    fill("a", 8);
    limits.throttled(request("a", "eu-west-1"), ThrottleScope.FUNCTION, Optional.empty(), now);
    limits.throttled(request("a", "eu-west-1"), ThrottleScope.FUNCTION, Optional.empty(), now);
    assertThat(limit("FUNCTION eu-west-1/a")).isEqualTo(2);

    for (int i = 0; i < 6; i++) {
      limits.release(request("a", "eu-west-1"), false);
    }
    int rounds = 0;
    while (limit("FUNCTION eu-west-1/a") < 8 && rounds++ < 100) {
      // A round: as many calls as the limit lets run, each ending having run.
      int before = limit("FUNCTION eu-west-1/a");
      fill("a", before);
      for (int i = 0; i < before; i++) {
        limits.release(request("a", "eu-west-1"), true);
      }
      assertThat(limit("FUNCTION eu-west-1/a")).as("at most one more per round").isLessThanOrEqualTo(before + 1);
    }

    assertThat(limit("FUNCTION eu-west-1/a")).isEqualTo(8);
    assertThat(rounds).as("grown back additively, round by round").isGreaterThanOrEqualTo(6);
  }

  @Test
  void aFunctionsLimitNeverExceedsTheCapPerFunction() {
    var capped = new ConcurrencyLimits(8, 3, clock, listener);
    for (int i = 0; i < 3; i++) {
      assertThat(capped.tryAcquire(request("a", "eu-west-1"))).isTrue();
    }
    assertThat(capped.tryAcquire(request("a", "eu-west-1"))).isFalse();
    assertThat(capped.tryAcquire(request("b", "eu-west-1"))).isTrue();
    capped.release(request("a", "eu-west-1"), true);
    assertThat(shown.get("FUNCTION eu-west-1/a").current()).isEqualTo(3);
  }

  @Test
  void theAccountsReasonsThrottleTheRegionAndAnyOtherReasonTheFunction() {
    assertThat(ThrottleScope.of("ConcurrentInvocationLimitExceeded"))
        .isEqualTo(ThrottleScope.REGION);
    assertThat(ThrottleScope.of("CallerRateLimitExceeded")).isEqualTo(ThrottleScope.REGION);
    assertThat(ThrottleScope.of("ReservedFunctionConcurrentInvocationLimitExceeded"))
        .isEqualTo(ThrottleScope.FUNCTION);
    assertThat(ThrottleScope.of("FunctionInvocationRateLimitExceeded"))
        .isEqualTo(ThrottleScope.FUNCTION);
    assertThat(ThrottleScope.of(null)).isEqualTo(ThrottleScope.FUNCTION);
  }

  /** {@code n} calls of {@code function} in eu-west-1 in flight. */
  private void fill(String function, int n) {
    for (int i = 0; i < n; i++) {
      assertThat(limits.tryAcquire(request(function, "eu-west-1"))).isTrue();
    }
  }

  private int limit(String key) {
    return shown.get(key).current();
  }

  private static InvocationRequest request(String function, String region) {
    return new InvocationRequest(
        function, null, region, new byte[0], null, false, Duration.ofSeconds(5));
  }
}
