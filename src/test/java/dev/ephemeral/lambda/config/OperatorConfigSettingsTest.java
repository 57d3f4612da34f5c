package dev.ephemeral.lambda.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings the operator logs at start: every variable it reads, and nothing secret. */
class OperatorConfigSettingsTest {

  @Test
  void everyVariableIsListedWithTheValueInForce() {
    var settings =
        OperatorConfig.fromEnvironment(
                Map.of(
                    "WATCH_NAMESPACES", "shop, billing",
                    "MAX_INVOCATIONS_IN_FLIGHT", "not-a-number",
                    "POLICY_MODE", "Enforce",
                    "AWS_REGION", "eu-west-1"))
            .settings();
    assertThat(settings)
        .containsEntry("WATCH_NAMESPACES", "billing,shop")
        .containsEntry("MAX_INVOCATIONS_IN_FLIGHT", OperatorConfig.DEFAULT_MAX_IN_FLIGHT)
        .containsEntry("AWS_ENDPOINT_URL_LAMBDA", "AWS")
        .containsEntry("LEADER_ELECTION", true)
        .containsEntry("AWS_REGION", "eu-west-1")
        .containsKeys(
            "HTTP_PORT",
            "RETRY_INITIAL_BACKOFF",
            "RETRY_MAX_BACKOFF",
            "RETRY_MAX_RETRIES",
            "RETRY_SLOW_INTERVAL",
            "POD_NAMESPACE",
            "POLICY_MODE",
            "AWS_ACCOUNT_ID");
    assertThat(settings.get("POLICY_MODE")).hasToString("Enforce");
  }

  @Test
  void theLambdaEndpointIsShownWithoutCredentialsOrQuery() {
    var settings =
        OperatorConfig.fromEnvironment(
                Map.of(
                    "AWS_ENDPOINT_URL_LAMBDA",
                    "https://user:s3cr3t-sentinel@lambda.example:4566/base?X-Amz-Signature=s3cr3t"))
            .settings();
    assertThat(settings.get("AWS_ENDPOINT_URL_LAMBDA"))
        .isEqualTo("https://lambda.example:4566/base");
    assertThat(settings.toString()).doesNotContain("s3cr3t");
  }
}
