package dev.ephemeral.lambda.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ShardTallyTest {

  @Test
  void resourcesAreSpreadRoundRobin() {
    assertThat(ShardTally.shardOf(0, 2)).isEqualTo("s0");
    assertThat(ShardTally.shardOf(3, 2)).isEqualTo("s1");
    assertThat(ShardTally.resourcesByShard(5, 2))
        .containsExactly(Map.entry("s0", 3), Map.entry("s1", 2));
  }

  @Test
  void aCallForAResourceOfAnotherShardOrOfNoneIsCounted() {
    var tally = new ShardTally(2);

    tally.invoked("s0", Optional.of("s0"));
    tally.invoked("s0", Optional.of("s1"));
    tally.invoked("s1", Optional.of("s1"));
    tally.invoked("s1", Optional.empty());

    assertThat(tally.invokedByShard()).containsExactly(Map.entry("s0", 2), Map.entry("s1", 2));
    assertThat(tally.ofAnotherShard()).isEqualTo(2);
  }
}
