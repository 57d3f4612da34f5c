package dev.ephemeral.lambda.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.FunctionPattern;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicySpec;
import dev.ephemeral.lambda.invoke.AssumedRole;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Which policies allow which namespace to call which function, and with which role. */
class PolicyEvaluatorTest {

  static final String OWN = "111111111111";
  static final String OTHER = "999999999999";
  static final String ROLE_A = "arn:aws:iam::222222222222:role/a";
  static final String ROLE_B = "arn:aws:iam::333333333333:role/b";

  private final PolicyEvaluator evaluator = new PolicyEvaluator(OWN, "eu-west-1");

  static LambdaInvocationPolicy policy(String name, Consumer<LambdaInvocationPolicySpec> edit) {
    var policy = new LambdaInvocationPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(1L).build());
    var spec = new LambdaInvocationPolicySpec();
    spec.setNamespaces(List.of("shop"));
    spec.setFunctions(List.of(new FunctionPattern("secret-*", null, null, null)));
    edit.accept(spec);
    policy.setSpec(spec);
    return policy;
  }

  static CallTarget call(String functionName) {
    return new CallTarget(functionName, null, null, Duration.ofSeconds(30), Optional.empty());
  }

  private Permit evaluate(CallTarget target, LambdaInvocationPolicy... policies) {
    return evaluator.evaluate("shop", Map.of("team", "shop"), target, List.of(policies));
  }

  @Test
  void aMatchingPolicyAllowsWithTheOperatorsOwnCredentials() {
    assertThat(evaluate(call("secret-generator"), policy("shop", s -> {})))
        .isEqualTo(new Permit.Allowed(Optional.of("shop"), Optional.empty()));
  }

  @Test
  void withoutAnyPolicyNothingIsAllowedAndTheMessageNamesNamespaceAndFunction() {
    var permit = (Permit.Denied) evaluate(call("secret-generator"));
    assertThat(permit.message())
        .isEqualTo(
            "no LambdaInvocationPolicy applies to namespace shop, so it may not invoke"
                + " arn:aws:lambda:eu-west-1:111111111111:function:secret-generator");
  }

  @Test
  void aStoredPolicyThatDoesNotFitTheModelIsReadAsUnreadableAndAllowsNothing() {
    var broken =
        Serialization.unmarshal(
            "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\",\"kind\":\"LambdaInvocationPolicy\","
                + "\"metadata\":{\"name\":\"broken\"},\"spec\":{\"namespaces\":[\"shop\"],"
                + "\"functions\":[{\"name\":\"secret-*\"}],\"revoke\":\"sometimes\"}}",
            LambdaInvocationPolicy.class);
    assertThat(broken.getSpec().getUnreadable()).isEqualTo("spec.revoke: must be true or false");
    assertThat(
            Serialization.unmarshal(
                    "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\","
                        + "\"kind\":\"LambdaInvocationPolicy\",\"metadata\":{\"name\":\"newer\"},"
                        + "\"spec\":{\"namespaces\":[\"shop\"],\"functions\":[{\"name\":\"x\","
                        + "\"tags\":{}}]}}",
                    LambdaInvocationPolicy.class)
                .getSpec()
                .getUnreadable())
        .as("a field this model does not know, as a newer CRD's")
        .isEqualTo("spec.functions[0].tags: is not a field of the model this operator reads");

    var permit = (Permit.Denied) evaluate(call("secret-generator"), broken);
    assertThat(permit.message()).startsWith("no LambdaInvocationPolicy applies to namespace shop");
    assertThat(permit.revoke()).isFalse();
    assertThat(evaluate(call("secret-generator"), broken, policy("shop", s -> {})))
        .isEqualTo(new Permit.Allowed(Optional.of("shop"), Optional.empty()));
  }

  @Test
  void aNullWhereTheSchemaRefusesOneMakesTheStoredPolicyUnreadable() {
    assertThat(
            readPolicy(
                    "\"namespaces\":[\"shop\"],\"functions\":[{\"name\":\"x\"}],"
                        + "\"roleArn\":\"arn:aws:iam::222222222222:role/a\","
                        + "\"sessionTags\":{\"team\":null}")
                .getSpec()
                .getUnreadable())
        .startsWith("spec.sessionTags.team: must be");
    assertThat(
            readPolicy("\"namespaces\":[null],\"functions\":[{\"name\":\"x\"}]")
                .getSpec()
                .getUnreadable())
        .startsWith("spec.namespaces[0]: must be");
    assertThat(
            readPolicy("\"namespaces\":[\"shop\"],\"functions\":[null]").getSpec().getUnreadable())
        .startsWith("spec.functions[0]: must be");
  }

  @Test
  void aSelectorRequirementWithoutEntryOrKeySelectsNothingAndStopsNoOtherPolicy() {
    var keyless =
        readPolicy(
            "\"namespaceSelector\":{\"matchExpressions\":[{\"operator\":\"DoesNotExist\"}]},"
                + "\"functions\":[{\"name\":\"config-*\"}]");
    var nullEntry =
        readPolicy(
            "\"namespaceSelector\":{\"matchExpressions\":[null]},"
                + "\"functions\":[{\"name\":\"config-*\"}]");
    for (Map<String, String> labels : List.of(Map.<String, String>of(), Map.of("team", "shop"))) {
      assertThat(
              evaluator.evaluate(
                  "shop", labels, call("config-fetcher"), List.of(keyless, nullEntry)))
          .isInstanceOf(Permit.Denied.class);
      assertThat(
              evaluator.evaluate(
                  "shop",
                  labels,
                  call("secret-generator"),
                  List.of(keyless, nullEntry, policy("shop", s -> {}))))
          .isEqualTo(new Permit.Allowed(Optional.of("shop"), Optional.empty()));
    }
  }

  /** A policy as the operator reads it from the API, its spec given as JSON members. */
  private static LambdaInvocationPolicy readPolicy(String specMembers) {
    return Serialization.unmarshal(
        "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\",\"kind\":\"LambdaInvocationPolicy\","
            + "\"metadata\":{\"name\":\"stored\"},\"spec\":{"
            + specMembers
            + "}}",
        LambdaInvocationPolicy.class);
  }

  @Test
  void aPolicyForOtherNamespacesOrFunctionsDoesNotAllow() {
    assertThat(
            evaluate(call("secret-generator"), policy("other", s -> s.setNamespaces(List.of("x")))))
        .isInstanceOf(Permit.Denied.class);
    var denied = (Permit.Denied) evaluate(call("config-fetcher"), policy("shop", s -> {}));
    assertThat(denied.message())
        .isEqualTo(
            "no LambdaInvocationPolicy allows namespace shop to invoke"
                + " arn:aws:lambda:eu-west-1:111111111111:function:config-fetcher");
  }

  @Test
  void arnTricksDoNotPassForAPlainNamePattern() {
    var shop = policy("shop", s -> {});
    for (String trick :
        List.of(
            // another account
            "arn:aws:lambda:eu-west-1:" + OTHER + ":function:secret-generator",
            OTHER + ":function:secret-generator",
            // another region
            "arn:aws:lambda:us-east-1:" + OWN + ":function:secret-generator",
            // mixed case
            "Secret-generator",
            "ARN:aws:lambda:eu-west-1:" + OWN + ":function:secret-generator")) {
      assertThat(evaluate(call(trick), shop)).as(trick).isInstanceOf(Permit.Denied.class);
    }
    // the same function, written as its own partial or full ARN, is the same function
    assertThat(evaluate(call(OWN + ":function:secret-generator"), shop))
        .isInstanceOf(Permit.Allowed.class);
    assertThat(
            evaluate(call("arn:aws:lambda:eu-west-1:" + OWN + ":function:secret-generator"), shop))
        .isInstanceOf(Permit.Allowed.class);
    var otherRegion =
        new CallTarget(
            "secret-generator", null, "us-east-1", Duration.ofSeconds(1), Optional.empty());
    assertThat(evaluate(otherRegion, shop)).isInstanceOf(Permit.Denied.class);
  }

  @Test
  void aQualifierPatternSeesTheQualifierInTheNameAndLatestWhenUnqualified() {
    var production =
        policy(
            "shop",
            s ->
                s.setFunctions(List.of(new FunctionPattern("secret-*", "production", null, null))));
    assertThat(evaluate(call("secret-generator:production"), production))
        .isInstanceOf(Permit.Allowed.class);
    assertThat(evaluate(call("secret-generator:dev"), production))
        .isInstanceOf(Permit.Denied.class);
    assertThat(evaluate(call("secret-generator"), production)).isInstanceOf(Permit.Denied.class);
    var latest =
        policy(
            "shop",
            s -> s.setFunctions(List.of(new FunctionPattern("secret-*", "$LATEST", null, null))));
    assertThat(evaluate(call("secret-generator"), latest)).isInstanceOf(Permit.Allowed.class);
  }

  @Test
  void accountAndRegionPatterns() {
    var anyAccountInEu =
        policy("eu", s -> s.setFunctions(List.of(new FunctionPattern("x", null, "*", "eu-*"))));
    assertThat(evaluate(call(OTHER + ":function:x"), anyAccountInEu))
        .isInstanceOf(Permit.Allowed.class);
    assertThat(
            evaluate(
                new CallTarget("x", null, "us-east-1", Duration.ofSeconds(1), Optional.empty()),
                anyAccountInEu))
        .isInstanceOf(Permit.Denied.class);
    var other =
        policy("other", s -> s.setFunctions(List.of(new FunctionPattern("x", null, OTHER, null))));
    assertThat(evaluate(call(OTHER + ":function:x"), other)).isInstanceOf(Permit.Allowed.class);
    assertThat(evaluate(call("x"), other)).isInstanceOf(Permit.Denied.class);
  }

  @Test
  void aPlainNameIsLookedUpInTheRolesAccount() {
    var withRole = policy("shop", s -> s.setRoleArn(ROLE_A));
    assertThat(evaluate(call("secret-generator"), withRole))
        .isEqualTo(
            new Permit.Allowed(
                Optional.of("shop"), Optional.of(new AssumedRole(ROLE_A, null, Map.of()))));
    // a pattern without an account means the role's account, not the operator's
    assertThat(evaluate(call(OWN + ":function:secret-generator"), withRole))
        .isInstanceOf(Permit.Denied.class);
    assertThat(evaluate(call("222222222222:function:secret-generator"), withRole))
        .isInstanceOf(Permit.Allowed.class);
  }

  @Test
  void namespaceSelectorSelectsByLabels() {
    var byLabel =
        policy(
            "team",
            s -> {
              s.setNamespaces(null);
              s.setNamespaceSelector(
                  new LabelSelectorBuilder().addToMatchLabels("team", "shop").build());
            });
    assertThat(evaluate(call("secret-generator"), byLabel)).isInstanceOf(Permit.Allowed.class);
    assertThat(
            evaluator.evaluate(
                "shop", Map.of("team", "ops"), call("secret-generator"), List.of(byLabel)))
        .isInstanceOf(Permit.Denied.class);
    // an unknown namespace has no labels that could match
    assertThat(evaluator.evaluate("shop", null, call("secret-generator"), List.of(byLabel)))
        .isInstanceOf(Permit.Denied.class);
    var expressions =
        policy(
            "expr",
            s -> {
              s.setNamespaces(null);
              s.setNamespaceSelector(
                  new LabelSelectorBuilder()
                      .addNewMatchExpression()
                      .withKey("tier")
                      .withOperator("NotIn")
                      .withValues("restricted")
                      .endMatchExpression()
                      .addNewMatchExpression()
                      .withKey("team")
                      .withOperator("Exists")
                      .endMatchExpression()
                      .build());
            });
    assertThat(evaluate(call("secret-generator"), expressions)).isInstanceOf(Permit.Allowed.class);
    assertThat(
            evaluator.evaluate(
                "shop",
                Map.of("team", "shop", "tier", "restricted"),
                call("secret-generator"),
                List.of(expressions)))
        .isInstanceOf(Permit.Denied.class);
  }

  @Test
  void anyAllowingPolicyAllowsAndTheMostSpecificChoosesTheRole() {
    var broad =
        policy(
            "broad",
            s -> {
              s.setRoleArn(ROLE_A);
              s.setFunctions(List.of(new FunctionPattern("*", null, "*", null)));
            });
    var narrow =
        policy(
            "narrow",
            s -> {
              s.setRoleArn(ROLE_B);
              s.setFunctions(List.of(new FunctionPattern("secret-generator", null, "*", null)));
            });
    assertThat(evaluate(call(OWN + ":function:secret-generator"), broad, narrow))
        .isEqualTo(
            new Permit.Allowed(
                Optional.of("narrow"), Optional.of(new AssumedRole(ROLE_B, null, Map.of()))));
    assertThat(evaluate(call(OWN + ":function:other"), broad, narrow))
        .isEqualTo(
            new Permit.Allowed(
                Optional.of("broad"), Optional.of(new AssumedRole(ROLE_A, null, Map.of()))));
    // naming the namespace is more specific than selecting it by labels
    var byLabel =
        policy(
            "by-label",
            s -> {
              s.setNamespaces(null);
              s.setNamespaceSelector(
                  new LabelSelectorBuilder().addToMatchLabels("team", "shop").build());
              s.setRoleArn(ROLE_B);
              s.setFunctions(List.of(new FunctionPattern("secret-generator", null, "*", null)));
            });
    assertThat(evaluate(call(OWN + ":function:secret-generator"), broad, byLabel))
        .isEqualTo(
            new Permit.Allowed(
                Optional.of("broad"), Optional.of(new AssumedRole(ROLE_A, null, Map.of()))));
  }

  @Test
  void equallySpecificPoliciesWithDifferentRolesAreAConflict() {
    var a = policy("a", s -> s.setRoleArn(ROLE_A));
    var b = policy("b", s -> s.setRoleArn(ROLE_B));
    var sameAsA = policy("c", s -> s.setRoleArn(ROLE_A));
    // A plain name would even be another function under each role (each role's own account).
    var denied = (Permit.Denied) evaluate(call("secret-generator"), a, b);
    assertThat(denied.conflicting()).containsExactly("a", "b");
    var anyAccount = List.of(new FunctionPattern("secret-*", null, "*", null));
    a.getSpec().setFunctions(anyAccount);
    b.getSpec().setFunctions(anyAccount);
    sameAsA.getSpec().setFunctions(anyAccount);
    var tie = (Permit.Denied) evaluate(call(OTHER + ":function:secret-generator"), a, b);
    assertThat(tie.conflicting()).containsExactly("a", "b");
    assertThat(tie.message())
        .contains("a and b")
        .contains("namespace shop")
        .contains("arn:aws:lambda:eu-west-1:" + OTHER + ":function:secret-generator");
    // the same role twice is no conflict
    assertThat(evaluate(call(OTHER + ":function:secret-generator"), a, sameAsA))
        .isInstanceOf(Permit.Allowed.class);
  }

  @Test
  void limitsOnTimeoutAndRefresh() {
    var limited =
        policy(
            "shop",
            s -> {
              s.setMaxTimeout("1m");
              s.setMinRefreshInterval("5m");
            });
    assertThat(evaluate(call("secret-generator"), limited)).isInstanceOf(Permit.Allowed.class);
    var tooLong =
        new CallTarget("secret-generator", null, null, Duration.ofMinutes(15), Optional.empty());
    assertThat(((Permit.Denied) evaluate(tooLong, limited)).message())
        .contains("policy shop allows a timeout of at most 1m");
    var tooOften =
        new CallTarget(
            "secret-generator",
            null,
            null,
            Duration.ofSeconds(30),
            Optional.of(Duration.ofMinutes(1)));
    assertThat(((Permit.Denied) evaluate(tooOften, limited)).message())
        .contains("policy shop allows a refreshInterval of at least 5m");
  }

  @Test
  void revokeComesFromAnyPolicyThatAppliesToTheNamespace() {
    var revoking =
        policy(
            "cut-off",
            s -> {
              s.setFunctions(List.of());
              s.setRevoke(true);
            });
    var denied = (Permit.Denied) evaluate(call("secret-generator"), revoking);
    assertThat(denied.revoke()).isTrue();
    assertThat(((Permit.Denied) evaluate(call("secret-generator"))).revoke()).isFalse();
  }
}
