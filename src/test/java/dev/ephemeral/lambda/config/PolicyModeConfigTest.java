package dev.ephemeral.lambda.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.policy.PolicyMode;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** POLICY_MODE, AWS_ACCOUNT_ID and AWS_REGION as the operator reads them. */
class PolicyModeConfigTest {

  private static PolicyMode mode(String value) {
    return OperatorConfig.fromEnvironment(
            value == null ? Map.of() : Map.of(OperatorConfig.POLICY_MODE, value))
        .policy()
        .mode();
  }

  @Test
  void offUnlessSetAndEnforceWhenAsked() {
    assertThat(mode(null)).isEqualTo(PolicyMode.Off);
    assertThat(mode(" ")).isEqualTo(PolicyMode.Off);
    assertThat(mode("Off")).isEqualTo(PolicyMode.Off);
    assertThat(mode("Enforce")).isEqualTo(PolicyMode.Enforce);
    assertThat(mode("enforce")).isEqualTo(PolicyMode.Enforce);
  }

  @Test
  void anUnknownModeFailsClosed() {
    assertThat(mode("Enforced")).isEqualTo(PolicyMode.Enforce);
    assertThat(mode("false")).isEqualTo(PolicyMode.Enforce);
  }

  @Test
  void accountAndRegion() {
    var policy =
        OperatorConfig.fromEnvironment(
                Map.of(
                    OperatorConfig.POLICY_MODE, "Enforce",
                    OperatorConfig.AWS_ACCOUNT_ID, "111111111111",
                    OperatorConfig.AWS_REGION, "eu-west-1"))
            .policy();
    assertThat(policy.accountId()).contains("111111111111");
    assertThat(policy.defaultRegion()).contains("eu-west-1");
    assertThat(
            OperatorConfig.fromEnvironment(Map.of(OperatorConfig.AWS_ACCOUNT_ID, "12345"))
                .policy()
                .accountId())
        .as("not 12 digits: ignored, so asked of STS")
        .isEqualTo(Optional.empty());
  }
}
