package dev.ephemeral.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommonPoolTest {

  @Test
  void withTwoProcessorsOrFewerThePoolGetsTwoWorkers() {
    assertThat(CommonPool.parallelism(1, null)).contains("2");
    assertThat(CommonPool.parallelism(2, null)).contains("2");
  }

  @Test
  void withMoreProcessorsTheJvmsOwnChoiceStands() {
    assertThat(CommonPool.parallelism(3, null)).isEmpty();
    assertThat(CommonPool.parallelism(16, null)).isEmpty();
  }

  @Test
  void anExplicitSettingIsKept() {
    assertThat(CommonPool.parallelism(1, "1")).isEmpty();
  }
}
