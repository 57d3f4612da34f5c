package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.FunctionPattern;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicySpec;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.RecordedInvocation;
import dev.ephemeral.lambda.policy.PolicySettings;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A policy's role, end to end: the operator assumes it through a local STS endpoint and signs the
 * Invoke with the temporary credentials it got, as the Invoke endpoint sees.
 */
class AssumeRoleTest {

  static final String ROLE = "arn:aws:iam::222222222222:role/shop-invoker";

  private StsEndpoint sts;
  private OperatorHarness harness;

  @BeforeEach
  void start() {
    sts = StsEndpoint.start();
    harness =
        OperatorHarness.startEnforcing(
            PolicySettings.enforce("111111111111", "eu-west-1"), Optional.of(sts.endpoint()));
    harness.lambda.function(
        "secret-generator",
        call -> FunctionOutcome.result("{\"api_key\":\"k\"}".getBytes(StandardCharsets.UTF_8)));
    var policy = new LambdaInvocationPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("shop").build());
    var spec = new LambdaInvocationPolicySpec();
    spec.setNamespaces(List.of(NAMESPACE));
    spec.setFunctions(List.of(new FunctionPattern("secret-*", null, null, null)));
    spec.setRoleArn(ROLE);
    spec.setExternalId("shop-external-id");
    spec.setSessionTags(Map.of("team", "shop", "tier", "gold"));
    policy.setSpec(spec);
    harness.client().resource(policy).create();
  }

  @AfterEach
  void stop() {
    harness.close();
    sts.close();
  }

  private void invokeAgain(String name) {
    OperatorHarness.edit(
        harness.client(),
        name,
        r -> {
          r.getMetadata()
              .setAnnotations(
                  Map.of(
                      LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION, Instant.now().toString()));
          return r;
        });
  }

  private void awaitCalls(int count) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> harness.lambda.invocations().size() >= count);
  }

  private static String accessKeyOf(RecordedInvocation call) {
    String authorization = call.header("authorization");
    int start = authorization.indexOf("Credential=") + "Credential=".length();
    return authorization.substring(start, authorization.indexOf('/', start));
  }

  @Test
  void theInvokeIsSignedWithTheAssumedRolesCredentials() {
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "Invoked");

    assertThat(sts.requests()).hasSize(1);
    var assume = sts.requests().get(0);
    assertThat(assume.form())
        .containsEntry("Action", "AssumeRole")
        .containsEntry("RoleArn", ROLE)
        .containsEntry("ExternalId", "shop-external-id")
        .containsEntry("RoleSessionName", "lambda-invocation-operator")
        .containsEntry("Tags.member.1.Key", "team")
        .containsEntry("Tags.member.1.Value", "shop")
        .containsEntry("Tags.member.2.Key", "tier")
        .containsEntry("Tags.member.2.Value", "gold");
    assertThat(assume.headers().get("authorization"))
        .as("STS is called with the operator's own credentials")
        .contains("Credential=AKIDEXAMPLE/");

    RecordedInvocation call = harness.lambda.invocations().get(0);
    assertThat(accessKeyOf(call)).isEqualTo(StsEndpoint.accessKeyId(1));
    assertThat(call.header("x-amz-security-token")).isEqualTo(StsEndpoint.sessionToken(1));
  }

  @Test
  void credentialsAreReusedUntilCloseToExpiryThenRefreshedBeforeIt() {
    harness.create(invocation("api-key", "secret-generator", "{}"));
    awaitCalls(1);
    invokeAgain("api-key");
    awaitCalls(2);
    assertThat(sts.requests()).as("valid for an hour: cached").hasSize(1);
    assertThat(accessKeyOf(harness.lambda.invocations().get(1)))
        .isEqualTo(StsEndpoint.accessKeyId(1));

    // Credentials granted from now on are valid for 30s, inside the minute before expiry in which
    // the operator gets new ones: each use refreshes them while the old ones are still valid.
    sts.grantFor(Duration.ofSeconds(30));
    harness.create(invocation("other", "secret-generator", "{}"));
    awaitCalls(3);
    // Another resource under the same policy shares the role's cached credentials.
    assertThat(sts.requests()).hasSize(1);

    harness.restartOperator();
    // A new operator process assumes the role anew, and gets 30s credentials.
    awaitCalls(5);
    int grants = sts.requests().size();
    assertThat(grants).isGreaterThanOrEqualTo(2);
    invokeAgain("api-key");
    awaitCalls(6);
    RecordedInvocation last = harness.lambda.invocations().get(5);
    assertThat(sts.requests()).as("refreshed before expiry").hasSize(grants + 1);
    assertThat(accessKeyOf(last)).isEqualTo(StsEndpoint.accessKeyId(grants + 1));
    assertThat(last.header("x-amz-security-token")).isEqualTo(StsEndpoint.sessionToken(grants + 1));
  }

  @Test
  void aRoleThatCannotBeAssumedIsAccessDeniedNamingTheRole() {
    sts.deny("AccessDenied");
    harness.create(invocation("api-key", "secret-generator", "{}"));

    LambdaInvocation denied = harness.awaitReason("api-key", "AccessDenied");
    assertThat(denied.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("could not assume role " + ROLE + " through STS at 127.0.0.1:")
        .contains(" (AccessDenied): allow sts:AssumeRole");
    assertThat(harness.lambda.invocations()).isEmpty();
  }

  /**
   * STS that cannot be reached is named, with the role: not reported as an unreachable Lambda
   * endpoint, which the operator never got to call.
   */
  @Test
  void anUnreachableStsIsReportedAsSuchNamingTheRoleAndTheEndpoint() {
    String host = sts.endpoint().getHost() + ":" + sts.endpoint().getPort();
    // The port refuses connections from now on.
    sts.close();
    harness.create(invocation("api-key", "secret-generator", "{}"));

    LambdaInvocation failed = harness.awaitReason("api-key", "InvocationFailed");
    assertThat(failed.getStatus().readyCondition().orElseThrow().getMessage())
        .startsWith(
            "the operator could not assume role "
                + ROLE
                + " through STS at "
                + host
                + ": cannot reach STS (")
        .doesNotContain("Lambda endpoint", "shop-external-id");
    assertThat(harness.lambda.invocations()).isEmpty();
  }

  @Test
  void anStsErrorIsReportedAsSuchAndRetriedWithBackoff() {
    sts.fail(500, "InternalFailure");
    harness.create(invocation("api-key", "secret-generator", "{}"));

    LambdaInvocation failed = harness.awaitReason("api-key", "InvocationFailed");
    assertThat(failed.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("could not assume role " + ROLE + " through STS at 127.0.0.1:")
        .contains("(HTTP 500 InternalFailure): STS failed");
    assertThat(harness.lambda.invocations()).isEmpty();
  }
}
