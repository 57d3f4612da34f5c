package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void backoffDoublesFromTheInitialDelay() {
    var policy =
        new RetryPolicy(Duration.ofSeconds(5), Duration.ofMinutes(5), 5, Duration.ofMinutes(5));

    assertThat(policy.backoff(1)).isEqualTo(Duration.ofSeconds(5));
    assertThat(policy.backoff(2)).isEqualTo(Duration.ofSeconds(10));
    assertThat(policy.backoff(3)).isEqualTo(Duration.ofSeconds(20));
    assertThat(policy.backoff(4)).isEqualTo(Duration.ofSeconds(40));
    assertThat(policy.backoff(5)).isEqualTo(Duration.ofSeconds(80));
  }

  @Test
  void backoffIsCappedAtTheMaximum() {
    var policy =
        new RetryPolicy(Duration.ofSeconds(3), Duration.ofSeconds(10), 5, Duration.ofMinutes(5));

    assertThat(policy.backoff(2)).isEqualTo(Duration.ofSeconds(6));
    assertThat(policy.backoff(3)).isEqualTo(Duration.ofSeconds(10));
    assertThat(policy.backoff(4)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void backoffStaysCappedForAnyNumberOfRetries() {
    assertThat(RetryPolicy.DEFAULT.backoff(7)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryPolicy.DEFAULT.backoff(1_000)).isEqualTo(Duration.ofMinutes(5));
    assertThat(RetryPolicy.DEFAULT.backoff(Integer.MAX_VALUE)).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void backoffNeverShrinksAsRetriesGrow() {
    Duration previous = Duration.ZERO;
    for (int retry = 1; retry <= 20; retry++) {
      Duration delay = RetryPolicy.DEFAULT.backoff(retry);
      assertThat(delay).isGreaterThanOrEqualTo(previous).isLessThanOrEqualTo(Duration.ofMinutes(5));
      previous = delay;
    }
  }

  @Test
  void initialDelayAboveTheCapIsCapped() {
    var policy =
        new RetryPolicy(Duration.ofMinutes(10), Duration.ofMinutes(1), 3, Duration.ofMinutes(5));

    assertThat(policy.backoff(1)).isEqualTo(Duration.ofMinutes(1));
  }
}
