package dev.ephemeral.lambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ephemeral.lambda.policy.OperatorIdentity;
import dev.ephemeral.lambda.policy.PolicyMode;
import dev.ephemeral.lambda.policy.PolicySettings;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** With Enforce, the operator's own account comes from AWS_ACCOUNT_ID, else from STS at start. */
class OperatorIdentityTest {

  private static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "test-secret"));

  private static final PolicySettings ENFORCE_IN_EU =
      new PolicySettings(PolicyMode.Enforce, Optional.empty(), Optional.of("eu-west-1"));

  @Test
  void withoutAwsAccountIdTheAccountIsAskedOfSts() {
    try (var sts = StsEndpoint.start()) {
      var completed =
          OperatorIdentity.complete(ENFORCE_IN_EU, CREDENTIALS, Optional.of(sts.endpoint()));
      assertThat(completed.accountId()).contains(StsEndpoint.CALLER_ACCOUNT);
      assertThat(sts.requests())
          .singleElement()
          .satisfies(r -> assertThat(r.form()).containsEntry("Action", "GetCallerIdentity"));
    }
  }

  @Test
  void aGivenAccountIsUsedWithoutAsking() {
    try (var sts = StsEndpoint.start()) {
      var given = ENFORCE_IN_EU.withAccountId("111111111111");
      assertThat(OperatorIdentity.complete(given, CREDENTIALS, Optional.of(sts.endpoint())))
          .isEqualTo(given);
      assertThat(sts.requests()).isEmpty();
    }
  }

  @Test
  void offAsksNothing() {
    assertThat(
            OperatorIdentity.complete(
                PolicySettings.OFF, CREDENTIALS, Optional.of(URI.create("http://127.0.0.1:9"))))
        .isEqualTo(PolicySettings.OFF);
  }

  @Test
  void anUnknownAccountStopsTheStartWithOneLine() {
    try (var sts = StsEndpoint.start()) {
      sts.deny("AccessDenied");
      assertThatThrownBy(
              () ->
                  OperatorIdentity.complete(
                      ENFORCE_IN_EU, CREDENTIALS, Optional.of(sts.endpoint())))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "POLICY_MODE=Enforce needs the operator's AWS account, and STS GetCallerIdentity at "
                  + sts.endpoint().getHost()
                  + ":"
                  + sts.endpoint().getPort()
                  + " failed (AccessDenied): set AWS_ACCOUNT_ID");
    }
  }
}
