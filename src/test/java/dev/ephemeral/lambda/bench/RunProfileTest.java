package dev.ephemeral.lambda.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.ephemeral.lambda.bench.RunSampler.Sample;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunProfileTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static Sample sample(long millis, long cpuMillis, long heap, int inFlight, int waiting) {
    return new Sample(T0.plusMillis(millis), cpuMillis * 1_000_000, heap, inFlight, waiting);
  }

  @Test
  void cpuAndStarvationCountOnlyInsideTheWindowButPeakHeapOverTheRun() {
    var samples =
        List.of(
            sample(0, 0, 900, 0, 0), // before the window
            sample(100, 50, 100, 10, 5),
            sample(200, 150, 200, 9, 0), // a slot free, nothing waiting: starved
            sample(300, 250, 300, 10, 0),
            sample(400, 350, 400, 10, 3),
            sample(500, 1000, 100, 0, 0)); // after the window

    var profile = RunProfile.of(samples, T0.plusMillis(100), T0.plusMillis(400), 2, 10);

    assertThat(profile.peakHeapBytes()).isEqualTo(900);
    // 300 ms of CPU in 300 ms of wall time on 2 cores: half of the machine.
    assertThat(profile.cpuShare()).isCloseTo(0.5, within(1e-9));
    assertThat(profile.starvedShare()).isCloseTo(0.25, within(1e-9));
  }

  @Test
  void withoutAWindowOnlyTheHeapIsKnown() {
    var profile = RunProfile.of(List.of(sample(0, 0, 42, 0, 0)), null, null, 2, 10);

    assertThat(profile.peakHeapBytes()).isEqualTo(42);
    assertThat(profile.cpuShare()).isNaN();
    assertThat(profile.starvedShare()).isNaN();
  }
}
