package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;


import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.LeaderLease;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.FunctionPattern;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.RolloutRestartTarget;
import dev.ephemeral.lambda.customresource.OnDeleteSpec;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicySpec;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.events.EventRecorder;
import dev.ephemeral.lambda.policy.PolicySettings;


import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;




/**
 * Records every request the operator makes while it goes through the end-to-end scenarios (create,
 * refresh, ttl expiry, Secret deleted and tampered, renamed Secret, function error, conflict,
 * rollout restart of a Deployment, a StatefulSet and a DaemonSet, spec.onDelete, payloadFrom
 * inputs, leader election, a LambdaInvocation no policy allows, policy status) and checks the RBAC
 * in deploy/rbac.yaml both ways: each request is allowed, and each granted permission is used.
 */
class LeastPrivilegeRbacTest {

  private static final String OPERATOR_NAMESPACE = "lambda-invocation-system";
  private static final String AGENT = "lambda-invocation-operator/rbac";

  /** Granted on purpose although no request shows it, with the reason. */
  private static final Map<String, String> GRANTED_WITHOUT_REQUEST =
      Map.of(
          "update lambda.ephemeral.dev/lambdainvocations/finalizers",
          "setting blockOwnerDeletion on the Secrets' ownerReferences needs it where the"
              + " OwnerReferencesPermissionEnforcement admission plugin runs (OpenShift)",
          "get lambda.ephemeral.dev/lambdainvocations",
          "removing the spec.onDelete finalizer re-reads the resource after a conflict (someone"
              + " else changed it meanwhile), which these scenarios do not provoke",
          "update coordination.k8s.io/leases",
          "java-operator-sdk checks at start-up (SelfSubjectRulesReview) that get, create and"
              + " update on the Lease are granted, and refuses to start otherwise; renewals use"
              + " patch");

  /** Requests every authenticated user may make (ClusterRole system:basic-user). */
  private static final Set<String> ALLOWED_TO_EVERYONE =
      Set.of("create authorization.k8s.io/selfsubjectrulesreviews");

  record Access(String verb, String group, String resource, String namespace, String name) {
    String permission() {
      return verb + " " + (group.isEmpty() ? "" : group + "/") + resource;
    }
  }

  @Test
  void everyRequestIsAllowedAndEveryGrantIsUsed() throws Exception {
    List<Access> accesses = runScenarios();
    List<HasMetadata> rbac = loadRbac();

    var denied =
        accesses.stream()
            .filter(a -> !ALLOWED_TO_EVERYONE.contains(a.permission()))
            .filter(a -> rbac.stream().noneMatch(object -> allows(object, a)))
            .map(
                a ->
                    a.permission()
                        + " in "
                        + a.namespace()
                        + (a.name() == null ? "" : " (" + a.name() + ")"))
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(denied).as("requests the RBAC in deploy/rbac.yaml does not allow").isEmpty();

    Set<String> used = accesses.stream().map(Access::permission).collect(Collectors.toSet());
    var unused = new TreeSet<String>();
    for (HasMetadata object : rbac) {
      for (PolicyRule rule : rules(object)) {
        assertThat(rule.getVerbs()).doesNotContain("*");
        assertThat(rule.getResources()).doesNotContain("*");
        assertThat(rule.getApiGroups()).doesNotContain("*");
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            for (String verb : rule.getVerbs()) {
              String permission = verb + " " + (group.isEmpty() ? "" : group + "/") + resource;
              if (!used.contains(permission) && !GRANTED_WITHOUT_REQUEST.containsKey(permission)) {
                unused.add(permission);
              }
            }
          }
        }
      }
    }
    assertThat(unused)
        .as("permissions granted in deploy/rbac.yaml that the operator never uses")
        .isEmpty();
  }

  private List<Access> runScenarios() throws Exception {
    try (var kubernetes = InProcessKubernetes.start();
        var lambda = LambdaEmulator.start("127.0.0.1", 0);
        KubernetesClient client = OperatorHarness.newClient(kubernetes, AGENT);
        var invoker =
            OperatorHarness.invoker(lambda, 4)) {
      lambda.function("ok", call -> FunctionOutcome.json(Map.of("key", "v")));
      lambda.function(
          "broken", call -> FunctionOutcome.functionError("Unhandled", "Boom", "no", null));
      lambda.function(
          "revoke-fails",
          call ->
              new String(call.payload(), java.nio.charset.StandardCharsets.UTF_8).contains("revoke")
                  ? FunctionOutcome.functionError("Unhandled", "Boom", "no", null)
                  : FunctionOutcome.json(Map.of("key", "v")));
      var config =
          new OperatorConfig(
              Set.of(),
              Optional.of(lambda.endpoint()),
              4,
              0,
              OperatorHarness.FAST_RETRIES,
              true,
              Optional.of(OPERATOR_NAMESPACE))
              // As deploy/ installs it: only what a LambdaInvocationPolicy allows is invoked.
              .withPolicy(PolicySettings.enforce("111111111111", "eu-west-1"));
      var leaderElection =
          ShortLease.of(
              OperatorConfig.LEASE_NAME, OPERATOR_NAMESPACE, "rbac", Duration.ofSeconds(2));
      try (var operator =
          new LambdaInvocationOperator(
              client,
              config,
              invoker,
              Clock.systemUTC(),
              new EventRecorder(client, Clock.systemUTC()),
              Optional.empty(),
              Optional.of(leaderElection))) {
        operator.start();
        KubernetesClient user = kubernetes.client();
        var policy = new LambdaInvocationPolicy();
        policy.setMetadata(
            new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("shop").build());
        var policySpec = new LambdaInvocationPolicySpec();
        policySpec.setNamespaces(List.of(NAMESPACE));
        policySpec.setFunctions(
            List.of(
                new FunctionPattern("ok", null, null, null),
                new FunctionPattern("broken", null, null, null),
                new FunctionPattern("revoke-fails", null, null, null)));
        policy.setSpec(policySpec);
        user.resource(policy).create();
        user.resource(invocation("forbidden", "not-allowed-here", "{}")).create();

        var refreshed = invocation("refreshed", "ok", "{}");
        refreshed.getSpec().setRefreshInterval("1s");
        user.resource(refreshed).create();
        var shortLived = invocation("short", "ok", "{}");
        secretSpec(shortLived).setTtl("1s");
        user.resource(shortLived).create();
        user.resource(invocation("broken", "broken", "{}")).create();
        user.secrets()
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName("taken")
                    .withNamespace(NAMESPACE)
                    .endMetadata()
                    .build())
            .create();
        user.resource(invocation("taken", "ok", "{}")).create();
        user.resource(invocation("edited", "ok", "{}")).create();
        RolloutRestartTest.createWorkloads(user, "Deployment", "web");
        RolloutRestartTest.createWorkloads(user, "StatefulSet", "db");
        RolloutRestartTest.createWorkloads(user, "DaemonSet", "agent");
        var restarting = invocation("restarting", "ok", "{}");
        secretSpec(restarting)
            .setRolloutRestartTargets(
                List.of(
                    new RolloutRestartTarget("Deployment", "web"),
                    new RolloutRestartTarget("StatefulSet", "db"),
                    new RolloutRestartTarget("DaemonSet", "agent")));
        user.resource(restarting).create();
        // spec.payloadFrom: its ConfigMaps and Secrets are watched, and read when used.
        user.configMaps()
            .resource(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("inputs")
                    .withNamespace(NAMESPACE)
                    .endMetadata()
                    .withData(Map.of("host", "db.internal"))
                    .build())
            .create();
        user.secrets()
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName("input-credentials")
                    .withNamespace(NAMESPACE)
                    .endMetadata()
                    .withData(
                        Map.of("password", Base64.getEncoder().encodeToString("pw".getBytes())))
                    .build())
            .create();
        var withInputs = invocation("with-inputs", "ok", "{}");
        withInputs
            .getSpec()
            .setPayloadFrom(
                List.of(
                    PayloadFromTest.fromConfigMap("/host", "inputs", "host"),
                    PayloadFromTest.fromSecret("/password", "input-credentials", "password")));
        user.resource(withInputs).create();

        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    reason(user, "short", "Expired")
                        && reason(user, "edited", "Invoked")
                        && reason(user, "taken", "SecretConflict")
                        && reason(user, "broken", "FunctionError")
                        && reason(user, "restarting", "Invoked")
                        && RolloutRestartTest.restartedAt(user, "Deployment", "web") != null
                        && RolloutRestartTest.restartedAt(user, "StatefulSet", "db") != null
                        && RolloutRestartTest.restartedAt(user, "DaemonSet", "agent") != null
                        && reason(user, "with-inputs", "Invoked")
                        && reason(user, "forbidden", "NotAllowed"));
        user.secrets()
            .inNamespace(NAMESPACE)
            .withName("edited")
            .edit(
                s -> {
                  s.getData().put("result", Base64.getEncoder().encodeToString("x".getBytes()));
                  return s;
                });
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    lambda.invocations().stream().filter(c -> c.functionName().equals("ok")).count()
                        >= 6);
        user.secrets().inNamespace(NAMESPACE).withName("edited").delete();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> user.secrets().inNamespace(NAMESPACE).withName("edited").get() != null);
        OperatorHarness.edit(
            user,
            "edited",
            r -> {
              secretSpec(r).setName("edited-renamed");
              return r;
            });
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    user.secrets().inNamespace(NAMESPACE).withName("edited").get() == null
                        && user.secrets().inNamespace(NAMESPACE).withName("edited-renamed").get()
                            != null);

        // spec.onDelete: the finalizer is patched on, then off at deletion; a failing
        // delete-time call reads the namespace before each retry, and ends in an Event.
        var cleanups = List.of("cleanup", "cleanup-failing");
        for (String name : cleanups) {
          var withCleanup = invocation(name, name.equals("cleanup") ? "ok" : "revoke-fails", "{}");
          var onDelete = new OnDeleteSpec();
          onDelete.setPayload(OperatorHarness.json("{\"revoke\":true}"));
          withCleanup.getSpec().setOnDelete(onDelete);
          user.resource(withCleanup).create();
        }
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> cleanups.stream().allMatch(name -> reason(user, name, "Invoked")));
        var invocations = user.resources(LambdaInvocation.class).inNamespace(NAMESPACE);
        cleanups.forEach(name -> invocations.withName(name).delete());
        await()
            .atMost(Duration.ofSeconds(15))
            .until(
                () -> cleanups.stream().allMatch(name -> invocations.withName(name).get() == null));
      }
      assertThat(
              new LeaderLease(client, OPERATOR_NAMESPACE, OperatorConfig.LEASE_NAME, "rbac")
                  .releaseIfHeld())
          .as("the operator's shutdown releases the Lease it held")
          .isTrue();
      return kubernetes.requests().stream()
          .filter(r -> AGENT.equals(r.userAgent()))
          .map(r -> access(r.method(), r.path()))
          .toList();
    }
  }

  private static boolean reason(KubernetesClient client, String name, String reason) {
    var resource =
        client.resources(LambdaInvocation.class).inNamespace(NAMESPACE).withName(name).get();
    return resource != null
        && resource.getStatus() != null
        && resource.getStatus().hasReason(reason);
  }

  /** Turns an API request into the RBAC verb, group, resource(/subresource), namespace and name. */
  static Access access(String method, String rawPath) {
    URI uri = URI.create(rawPath);
    String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
    List<String> parts = new ArrayList<>(List.of(uri.getPath().replaceFirst("^/", "").split("/")));
    String group;
    if (parts.get(0).equals("api")) {
      group = "";
      parts = parts.subList(2, parts.size());
    } else {
      group = parts.get(1);
      parts = parts.subList(3, parts.size());
    }
    String namespace = null;
    if (parts.size() >= 3 && parts.get(0).equals("namespaces")) {
      namespace = parts.get(1);
      parts = parts.subList(2, parts.size());
    }
    String resource = parts.get(0);
    String name = parts.size() > 1 ? parts.get(1) : null;
    if (parts.size() > 2) {
      resource += "/" + parts.get(2);
    }
    String verb =
        switch (method) {
          case "GET" -> name != null ? "get" : query.contains("watch=true") ? "watch" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> name != null ? "delete" : "deletecollection";
          default -> method.toLowerCase();
        };
    return new Access(verb, group, resource, namespace, name);
  }

  private static boolean allows(HasMetadata object, Access access) {
    if (object instanceof Role role
        && !role.getMetadata().getNamespace().equals(access.namespace())) {
      return false;
    }
    return rules(object).stream()
        .anyMatch(
            rule ->
                rule.getApiGroups().contains(access.group())
                    && rule.getResources().contains(access.resource())
                    && rule.getVerbs().contains(access.verb())
                    && (rule.getResourceNames() == null
                        || rule.getResourceNames().isEmpty()
                        || rule.getResourceNames().contains(access.name())));
  }

  private static List<PolicyRule> rules(HasMetadata object) {
    if (object instanceof ClusterRole role) {
      return role.getRules();
    }
    if (object instanceof Role role) {
      return role.getRules();
    }
    return List.of();
  }

  private static List<HasMetadata> loadRbac() throws Exception {
    Object parsed =
        new KubernetesSerialization().unmarshal(Files.readString(Path.of("deploy/rbac.yaml")));
    List<?> documents = parsed instanceof List<?> list ? list : List.of(parsed);
    return documents.stream()
        .map(HasMetadata.class::cast)
        .filter(o -> o instanceof ClusterRole || o instanceof Role)
        .toList();
  }
}
