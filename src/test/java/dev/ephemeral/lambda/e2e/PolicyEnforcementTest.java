package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.FunctionPattern;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicySpec;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.metrics.OperatorMetrics;
import dev.ephemeral.lambda.policy.PolicySettings;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With POLICY_MODE=Enforce, end to end: a LambdaInvocation is invoked only when a
 * LambdaInvocationPolicy allows its namespace the function it would call, checked on the resolved
 * full ARN; policy and namespace changes take effect on the resources they concern.
 */
class PolicyEnforcementTest {

  static final String OWN_ACCOUNT = "111111111111";

  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness =
        OperatorHarness.startEnforcing(
            PolicySettings.enforce(OWN_ACCOUNT, "eu-west-1"), Optional.empty());
    harness
        .client()
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(NAMESPACE)
                .withLabels(Map.of("team", "shop"))
                .endMetadata()
                .build())
        .create();
    harness
        .lambda
        .function(
            "secret-generator",
            call -> FunctionOutcome.result("{\"api_key\":\"k\"}".getBytes(StandardCharsets.UTF_8)))
        .version("secret-generator", "1")
        .alias("secret-generator", "production", "1")
        .function(
            "Secret-generator",
            call -> FunctionOutcome.result("{\"other\":1}".getBytes(StandardCharsets.UTF_8)));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  static LambdaInvocationPolicy policy(String name, Consumer<LambdaInvocationPolicySpec> edit) {
    var policy = new LambdaInvocationPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
    var spec = new LambdaInvocationPolicySpec();
    spec.setNamespaces(List.of(NAMESPACE));
    spec.setFunctions(List.of(new FunctionPattern("secret-*", null, null, null)));
    edit.accept(spec);
    policy.setSpec(spec);
    return policy;
  }

  private void apply(LambdaInvocationPolicy policy) {
    harness.client().resource(policy).create();
  }

  private void delete(String policy) {
    harness.client().resources(LambdaInvocationPolicy.class).withName(policy).delete();
  }

  private long calls() {
    return harness.lambda.invocations().size();
  }

  @Test
  void anAllowedInvocationRunsOnce() {
    apply(policy("shop", s -> {}));
    harness.create(invocation("api-key", "secret-generator", "{}"));

    harness.awaitReason("api-key", "Invoked");
    assertThat(calls()).isEqualTo(1);
    assertThat(harness.secret("api-key")).isNotNull();
  }

  /**
   * At a start (as at a leader change) the policies are listed in full before any resource is
   * judged: with the API answering that list late, the resource a policy allows is never reported
   * NotAllowed in the meantime, only invoked.
   */
  @Test
  void aStartWhosePolicyListIsAnsweredLateJudgesNoResourceBeforeIt() throws Exception {
    harness.stopOperator();
    apply(policy("shop", s -> {}));
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.create(invocation("refused", "Secret-generator", "{}"));
    var listed = new CountDownLatch(1);
    var answer = new CountDownLatch(1);
    harness.interceptOperatorRequests(
        new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            URI uri = request.uri();
            if (uri.getPath().endsWith("/lambdainvocationpolicies")
                && (uri.getQuery() == null || !uri.getQuery().contains("watch=true"))) {
              listed.countDown();
              try {
                answer.await(20, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        });
    var started = CompletableFuture.runAsync(harness::startOperator);

    assertThat(listed.await(20, TimeUnit.SECONDS)).as("the operator lists the policies").isTrue();
    // Everything else is listed and watched meanwhile; no resource is judged without the policies.
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> harness.get("api-key").getStatus() == null);
    answer.countDown();
    started.get(30, TimeUnit.SECONDS);

    harness.awaitReason("api-key", "Invoked");
    harness.awaitReason("refused", "NotAllowed");
    assertThat(harness.registry.get(OperatorMetrics.NOT_ALLOWED).counter().count())
        .as("only the resource no policy allows was ever refused")
        .isEqualTo(1.0);
    assertThat(harness.client().v1().events().inNamespace(NAMESPACE).list().getItems())
        .as("no Warning for the allowed resource (its success has a Normal Invoked Event)")
        .noneMatch(
            e -> "api-key".equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType()));
    assertThat(calls()).isEqualTo(1);
  }

  @Test
  void withoutAPolicyNothingIsInvokedAndTheStatusSaysWhoAndWhat() {
    harness.create(invocation("api-key", "secret-generator", "{}"));

    LambdaInvocation refused = harness.awaitReason("api-key", "NotAllowed");
    var ready = refused.getStatus().readyCondition().orElseThrow();
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getMessage())
        .isEqualTo(
            "no LambdaInvocationPolicy applies to namespace shop, so it may not invoke"
                + " arn:aws:lambda:eu-west-1:111111111111:function:secret-generator");
    assertThat(
            refused.getStatus().condition(LambdaInvocationStatus.STALLED).orElseThrow().getStatus())
        .as("a person must act")
        .isEqualTo("True");
    assertThat(calls()).isZero();
    assertThat(harness.secret("api-key")).isNull();
    assertThat(harness.registry.get(OperatorMetrics.NOT_ALLOWED).counter().count()).isEqualTo(1.0);
  }

  @Test
  void aPolicyAddedLaterInvokesTheRefusedResourceOnce() {
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "NotAllowed");

    apply(policy("shop", s -> {}));

    harness.awaitReason("api-key", "Invoked");
    assertThat(calls()).isEqualTo(1);
  }

  @Test
  void aRemovedPolicyStopsInvocationsAndLeavesTheSecretToItsTtl() {
    apply(policy("shop", s -> {}));
    var resource = invocation("api-key", "secret-generator", "{}");
    resource.getSpec().setRefreshInterval("1s");
    harness.create(resource);
    harness.awaitReason("api-key", "Invoked");

    delete("shop");

    harness.awaitReason("api-key", "NotAllowed");
    long callsThen = calls();
    // Neither the refresh nor a request to run again invokes it now.
    OperatorHarness.edit(
        harness.client(),
        "api-key",
        r -> {
          r.getMetadata()
              .setAnnotations(
                  Map.of(
                      LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION, Instant.now().toString()));
          return r;
        });
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(4))
        .until(
            () ->
                calls() == callsThen && harness.get("api-key").getStatus().hasReason("NotAllowed"));
    assertThat(harness.secret("api-key")).as("left to its ttl").isNotNull();
  }

  @Test
  void aRevokingPolicyDeletesTheSecretOnceNothingAllowsIt() {
    apply(policy("shop", s -> {}));
    apply(
        policy(
            "cut-off",
            s -> {
              s.setFunctions(List.of());
              s.setRevoke(true);
            }));
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "Invoked");
    assertThat(harness.secret("api-key")).isNotNull();

    delete("shop");

    harness.awaitReason("api-key", "NotAllowed");
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.secret("api-key") == null);
    assertThat(calls()).isEqualTo(1);
  }

  @Test
  void aPolicyRemovedWhileACallRunsRevokesItsResultAfterIt() throws Exception {
    var release = new CountDownLatch(1);
    harness.lambda.function(
        "secret-slow",
        OperatorHarness.heldUntil(
            release,
            FunctionOutcome.result("{\"api_key\":\"k\"}".getBytes(StandardCharsets.UTF_8))));
    apply(policy("shop", s -> {}));
    apply(
        policy(
            "cut-off",
            s -> {
              s.setFunctions(List.of());
              s.setRevoke(true);
            }));
    harness.create(invocation("api-key", "secret-slow", "{}"));
    await().atMost(Duration.ofSeconds(10)).until(() -> calls() == 1);
    int startedBefore = harness.reconcilesStarted("api-key");

    // The call is under way when the operator reconciles the policy's removal, which must not be
    // lost when the call finishes.
    delete("shop");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> harness.reconciles().settledSince(NAMESPACE + "/api-key", startedBefore));
    assertThat(harness.operator().inFlight()).isEqualTo(1);
    assertThat(harness.secret("api-key")).isNull();
    release.countDown();

    harness.awaitReason("api-key", "NotAllowed");
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.secret("api-key") == null);
    assertThat(calls()).isEqualTo(1);
  }

  @Test
  void aCallStillWaitingForASlotWhenThePolicyGoesIsNotMade() throws Exception {
    var release = new CountDownLatch(1);
    harness.lambda.function(
        "secret-held",
        OperatorHarness.heldUntil(
            release, FunctionOutcome.result("{\"k\":1}".getBytes(StandardCharsets.UTF_8))));
    apply(policy("shop", s -> {}));
    try {
      // Every slot under the in-flight limit (4) is taken: the next call waits for one.
      for (int i = 0; i < 4; i++) {
        harness.create(invocation("held-" + i, "secret-held", "{}"));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.operator().inFlight() == 4);
      harness.create(invocation("api-key", "secret-generator", "{}"));
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.operator().waiting() == 1);

      delete("shop");

      harness.awaitReason("api-key", "NotAllowed");
    } finally {
      release.countDown();
    }
    // Once the held calls end (no call running), a call of api-key still queued would run: none
    // may be running or waiting.
    harness.awaitDecided("api-key", 0);
    assertThat(harness.lambda.invocationCount("secret-generator")).isZero();
    assertThat(harness.get("api-key").getStatus().hasReason("NotAllowed")).isTrue();
  }

  @Test
  void theSecretOfARefusedResourceStillExpires() {
    apply(policy("shop", s -> {}));
    var resource = invocation("api-key", "secret-generator", "{}");
    secretSpec(resource).setTtl("3s");
    harness.create(resource);
    harness.awaitReason("api-key", "Invoked");

    delete("shop");
    harness.awaitReason("api-key", "NotAllowed");

    await().atMost(Duration.ofSeconds(10)).until(() -> harness.secret("api-key") == null);
    assertThat(calls()).isEqualTo(1);
  }

  @Test
  void arnTricksAreRefused() {
    apply(
        policy(
            "shop",
            s ->
                s.setFunctions(
                    List.of(new FunctionPattern("secret-generator", "production", null, null)))));
    Map<String, Consumer<LambdaInvocation>> tricks =
        Map.of(
            "other-account",
            r ->
                r.getSpec()
                    .setFunctionName(
                        "arn:aws:lambda:eu-west-1:999999999999:function:secret-generator:production"),
            "other-region",
            r -> {
              r.getSpec()
                  .setFunctionName(
                      "arn:aws:lambda:us-east-1:111111111111:function:secret-generator:production");
              r.getSpec().setRegion("us-east-1");
            },
            "qualifier-in-name",
            r -> r.getSpec().setFunctionName("secret-generator:1"),
            "partial-arn",
            r -> r.getSpec().setFunctionName("999999999999:function:secret-generator:production"),
            "mixed-case",
            r -> r.getSpec().setFunctionName("Secret-generator:production"),
            "arn-region-not-the-call-region",
            r ->
                r.getSpec()
                    .setFunctionName(
                        "arn:aws:lambda:us-east-1:111111111111:function:secret-generator:production"));
    tricks.forEach(
        (name, trick) -> {
          var resource = invocation(name, "secret-generator", "{}");
          trick.accept(resource);
          harness.create(resource);
        });

    tricks.keySet().forEach(name -> harness.awaitReason(name, "NotAllowed"));
    assertThat(harness.get("partial-arn").getStatus().readyCondition().orElseThrow().getMessage())
        .contains("arn:aws:lambda:eu-west-1:999999999999:function:secret-generator:production");
    assertThat(
            harness
                .get("arn-region-not-the-call-region")
                .getStatus()
                .readyCondition()
                .orElseThrow()
                .getMessage())
        .contains("names region us-east-1, but the call goes to region eu-west-1");
    assertThat(calls()).isZero();

    // The function the policy names, however it is written, is allowed.
    var allowed = invocation("full-arn", "secret-generator", "{}");
    allowed
        .getSpec()
        .setFunctionName("arn:aws:lambda:eu-west-1:111111111111:function:secret-generator");
    allowed.getSpec().setQualifier("production");
    harness.create(allowed);
    harness.awaitReason("full-arn", "Invoked");
    assertThat(calls()).isEqualTo(1);
  }

  @Test
  void namespaceLabelsDecideForASelectorPolicy() {
    apply(
        policy(
            "team-shop",
            s -> {
              s.setNamespaces(null);
              s.setNamespaceSelector(
                  new LabelSelectorBuilder().addToMatchLabels("tenant", "allowed").build());
            }));
    harness.create(invocation("api-key", "secret-generator", "{}"));
    harness.awaitReason("api-key", "NotAllowed");

    harness
        .client()
        .namespaces()
        .withName(NAMESPACE)
        .edit(
            n -> {
              n.getMetadata().getLabels().put("tenant", "allowed");
              return n;
            });

    harness.awaitReason("api-key", "Invoked");
    assertThat(calls()).isEqualTo(1);
  }

  private LambdaInvocationPolicy policyNamed(String name) {
    return harness.client().resources(LambdaInvocationPolicy.class).withName(name).get();
  }

  private static boolean ready(LambdaInvocationPolicy policy, String status, String reason) {
    return policy != null
        && policy.getStatus() != null
        && policy.getStatus().getConditions().stream()
            .anyMatch(
                c ->
                    c.getType().equals("Ready")
                        && c.getStatus().equals(status)
                        && c.getReason().equals(reason));
  }

  @Test
  void equallySpecificPoliciesWithDifferentRolesAreAConflictOnBothPolicies() {
    var anyAccount = List.of(new FunctionPattern("secret-*", null, "*", null));
    apply(
        policy(
            "role-a",
            s -> {
              s.setFunctions(anyAccount);
              s.setRoleArn("arn:aws:iam::222222222222:role/a");
            }));
    apply(
        policy(
            "role-b",
            s -> {
              s.setFunctions(anyAccount);
              s.setRoleArn("arn:aws:iam::333333333333:role/b");
            }));
    apply(policy("elsewhere", s -> s.setNamespaces(List.of("other"))));
    harness.create(invocation("api-key", OWN_ACCOUNT + ":function:secret-generator", "{}"));

    LambdaInvocation refused = harness.awaitReason("api-key", "NotAllowed");
    assertThat(refused.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("role-a and role-b both allow namespace shop");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                ready(policyNamed("role-a"), "False", "Conflict")
                    && ready(policyNamed("role-b"), "False", "Conflict"));
    assertThat(policyNamed("role-a").getStatus().getConditions().get(0).getMessage())
        .startsWith("tied with role-b for LambdaInvocation shop/api-key");
    assertThat(policyNamed("role-b").getStatus().getConditions().get(0).getMessage())
        .startsWith("tied with role-a for LambdaInvocation shop/api-key");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ready(policyNamed("elsewhere"), "True", "Accepted"));
    assertThat(calls()).isZero();

    // The LambdaInvocation concerned is deleted: no conflict is left to show.
    harness.client().resource(harness.get("api-key")).delete();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                ready(policyNamed("role-a"), "True", "Accepted")
                    && ready(policyNamed("role-b"), "True", "Accepted"));
  }

  @Test
  void aConflictEndsWhenTheLambdaInvocationsSpecTurnsInvalid() {
    var anyAccount = List.of(new FunctionPattern("secret-*", null, "*", null));
    apply(
        policy(
            "role-a",
            s -> {
              s.setFunctions(anyAccount);
              s.setRoleArn("arn:aws:iam::222222222222:role/a");
            }));
    apply(
        policy(
            "role-b",
            s -> {
              s.setFunctions(anyAccount);
              s.setRoleArn("arn:aws:iam::333333333333:role/b");
            }));
    harness.create(invocation("api-key", OWN_ACCOUNT + ":function:secret-generator", "{}"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ready(policyNamed("role-a"), "False", "Conflict"));

    // An invalid spec calls nothing: the policies are no longer tied on it.
    OperatorHarness.edit(
        harness.client(),
        "api-key",
        r -> {
          r.getSpec().setTimeout("0s");
          return r;
        });

    harness.awaitReason("api-key", "InvalidSpec");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                ready(policyNamed("role-a"), "True", "Accepted")
                    && ready(policyNamed("role-b"), "True", "Accepted"));
  }

  @Test
  void aFunctionNoLongerAllowedIsNotCalledAtDeletionAndTheFinalizerGoesWithAWarning() {
    apply(policy("shop", spec -> {}));
    var resource = invocation("api-key", "secret-generator", "{}");
    var onDelete = new dev.ephemeral.lambda.customresource.OnDeleteSpec();
    onDelete.setPayload(OperatorHarness.json("{\"action\":\"revoke\"}"));
    resource.getSpec().setOnDelete(onDelete);
    harness.create(resource);
    assertThat(harness.awaitReason("api-key", "Invoked").getMetadata().getFinalizers())
        .containsExactly("lambda.ephemeral.dev/on-delete");

    delete("shop");
    harness.awaitReason("api-key", "NotAllowed");
    harness
        .client()
        .resources(LambdaInvocation.class)
        .inNamespace(NAMESPACE)
        .withName("api-key")
        .delete();

    await().atMost(Duration.ofSeconds(20)).until(() -> harness.get("api-key") == null);
    assertThat(calls()).as("only the call made while it was allowed").isEqualTo(1);
    assertThat(harness.client().v1().events().inNamespace(NAMESPACE).list().getItems())
        .anySatisfy(
            e -> {
              assertThat(e.getReason()).isEqualTo("OnDeleteFailed");
              assertThat(e.getMessage())
                  .contains("no LambdaInvocationPolicy applies to namespace shop")
                  .contains("so the onDelete call was not made");
            });
  }
}
