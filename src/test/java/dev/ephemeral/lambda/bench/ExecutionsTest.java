package dev.ephemeral.lambda.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExecutionsTest {

  @Test
  void aSecondRunOfOneResourceIsADuplicateAndAResourceNeverRunIsCounted() {
    // Resources 0..3: 0 ran twice, 1 and 2 once, 3 never; 2 requests were answered 429.
    var executions = Executions.of(List.of(0, 1, 0, 2), 6, 4);

    assertThat(executions.runs()).isEqualTo(4);
    assertThat(executions.duplicates()).isEqualTo(1);
    assertThat(executions.neverRun()).isEqualTo(1);
    assertThat(executions.throttled()).isEqualTo(2);
    assertThat(executions.throttledShare()).isCloseTo(2.0 / 6, within(1e-9));
    assertThat(executions.runsPerResource()).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void eachResourceRunOnceWithoutThrottlesIsExact() {
    var executions = Executions.of(List.of(2, 0, 1), 3, 3);

    assertThat(executions.duplicates()).isZero();
    assertThat(executions.neverRun()).isZero();
    assertThat(executions.throttledShare()).isZero();
  }

  @Test
  void withoutRequestsTheThrottledShareIsUnknown() {
    var executions = Executions.of(List.of(), 0, 2);

    assertThat(executions.neverRun()).isEqualTo(2);
    assertThat(executions.throttledShare()).isNaN();
  }
}
