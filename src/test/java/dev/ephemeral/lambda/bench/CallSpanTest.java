package dev.ephemeral.lambda.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallSpanTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration LATENCY = Duration.ofMillis(200);

  private static Instant at(long millis) {
    return T0.plusMillis(millis);
  }

  @Test
  void spanRunsFromTheFirstCallReceivedToTheLastOneCompleted() {
    var span = CallSpan.of(List.of(at(300), at(0), at(250)), LATENCY, 2);

    assertThat(span.calls()).isEqualTo(3);
    assertThat(span.span()).isEqualTo(Duration.ofMillis(500));
    assertThat(span.firstStart()).isEqualTo(at(0));
    assertThat(span.lastStart()).isEqualTo(at(300));
  }

  @Test
  void aCallStartingAsAnotherEndsDoesNotOverlapIt() {
    // Two slots used back to back: 0-200 and 200-400 in one, 10-210 in the other.
    var span = CallSpan.of(List.of(at(0), at(10), at(200)), LATENCY, 2);

    assertThat(span.peakConcurrency()).isEqualTo(2);
    assertThat(span.rampUp()).isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void rampUpIsNeverWhenTheLimitIsNotReached() {
    var span = CallSpan.of(List.of(at(0), at(300)), LATENCY, 2);

    assertThat(span.peakConcurrency()).isEqualTo(1);
    assertThat(span.rampUp()).isNull();
  }

  @Test
  void fewerCallsThanTheLimitRampUpWhenAllRun() {
    var span = CallSpan.of(List.of(at(0), at(5)), LATENCY, 10);

    assertThat(span.rampUp()).isEqualTo(Duration.ofMillis(5));
  }

  @Test
  void meanConcurrencyIsCallTimeOverTheSpan() {
    // Four calls of 200 ms in 400 ms: two at a time on average.
    var span = CallSpan.of(List.of(at(0), at(0), at(200), at(200)), LATENCY, 2);

    assertThat(span.meanConcurrency(LATENCY)).isEqualTo(2.0);
  }

  @Test
  void idealSpanCountsPartialWavesAsWhole() {
    assertThat(CallSpan.ideal(100, 10, LATENCY)).isEqualTo(Duration.ofSeconds(2));
    assertThat(CallSpan.ideal(101, 10, LATENCY)).isEqualTo(Duration.ofMillis(2200));
  }

  @Test
  void ratioIsTheOperatorSpanOverThePlainOne() {
    var operator = CallSpan.of(List.of(at(0), at(400)), LATENCY, 1);
    var plain = CallSpan.of(List.of(at(0), at(200)), LATENCY, 1);

    assertThat(BenchReport.ratio(operator, plain)).isEqualTo(1.5);
    assertThat(BenchReport.perResource(301, 100)).isEqualTo(3.01);
  }

  @Test
  void noCallsGiveAnEmptySpan() {
    var span = CallSpan.of(List.of(), LATENCY, 10);

    assertThat(span.calls()).isZero();
    assertThat(span.span()).isZero();
    assertThat(BenchReport.ratio(span, span)).isNaN();
  }
}
