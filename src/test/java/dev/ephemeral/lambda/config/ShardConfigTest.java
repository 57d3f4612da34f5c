package dev.ephemeral.lambda.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.model.Shard;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SHARD as the operator reads it: the resources it selects, and the Lease it competes for. */
class ShardConfigTest {

  private static OperatorConfig config(String shard) {
    return OperatorConfig.fromEnvironment(
        shard == null ? Map.of() : Map.of(OperatorConfig.SHARD, shard));
  }

  @Test
  void withoutAShardTheInstanceTakesTheUnlabelledResourcesUnderTheOneLease() {
    var config = config(null);
    assertThat(config.shard()).isEqualTo(Shard.NONE);
    assertThat(config.shard().selector()).isEqualTo("!lambda.ephemeral.dev/shard");
    assertThat(config.shard().labels()).isEmpty();
    assertThat(config.leaseName()).isEqualTo("lambda-invocation-operator");
  }

  @Test
  void aShardSelectsItsLabelAndHasItsOwnLease() {
    var config = config(" blue-2 ");
    assertThat(config.shard().selector()).isEqualTo("lambda.ephemeral.dev/shard=blue-2");
    assertThat(config.shard().labels()).containsExactly(Map.entry(Shard.LABEL, "blue-2"));
    assertThat(config.leaseName()).isEqualTo("lambda-invocation-operator-blue-2");
  }

  @Test
  void aNameThatIsNoDnsLabelFallsBackToNoShardAndSoToTheSharedLease() {
    for (String bad : new String[] {"Blue", "-blue", "blue_2", "a".repeat(64)}) {
      assertThat(config(bad).shard()).as(bad).isEqualTo(Shard.NONE);
      assertThat(config(bad).leaseName()).as(bad).isEqualTo("lambda-invocation-operator");
    }
  }
}
