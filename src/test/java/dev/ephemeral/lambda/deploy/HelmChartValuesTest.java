package dev.ephemeral.lambda.deploy;

import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAME;
import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAMESPACE;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.envValue;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.envVar;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.grants;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.operatorContainer;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.operatorDeployment;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.podSpec;
import static dev.ephemeral.lambda.deploy.HelmChartTest.template;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart's values beyond what deploy/ installs (the switches users of the cert-manager and
 * external-secrets charts reach for), each rendered by {@code helm template} and checked on the
 * objects a cluster would receive.
 */
class HelmChartValuesTest {

  private static final Set<String> RBAC_KINDS =
      Set.of("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding");
  private static final String WORKLOAD_GRANT_PREFIX = "apps/";
  private static final String KEEP = "helm.sh/resource-policy";
  private static final String AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-";

  // --- CRDs

  @Test
  void crdsAreTemplatesOfTheReleaseKeptOnUninstall() throws Exception {
    Kustomize.Build build = template(Map.of());
    List<ObjectNode> crds = build.ofKind("CustomResourceDefinition");
    List<Path> files;
    try (Stream<Path> list = Files.list(Path.of("crds"))) {
      files = list.sorted().toList();
    }
    assertThat(crds).as("one CRD per file of crds/").hasSameSizeAs(files);
    for (Path file : files) {
      ObjectNode expected = DeployFiles.document(file);
      ObjectNode crd = build.one("CustomResourceDefinition", "", DeployFiles.name(expected));
      JsonNode metadata = crd.path("metadata");
      assertThat(metadata.path("annotations").path(KEEP).asText())
          .as("helm uninstall leaves " + file.getFileName())
          .isEqualTo("keep");
      assertThat(metadata.path("labels").path("app.kubernetes.io/instance").asText())
          .as("a release's object, so helm upgrade applies its new version")
          .isEqualTo(HelmChartTest.RELEASE);
      ObjectNode bare = crd.deepCopy();
      ((ObjectNode) bare.path("metadata")).remove(List.of("labels", "annotations"));
      assertThat(bare).as(file + ", as generated").isEqualTo(expected);
    }
  }

  @Test
  void crdsKeepFalseLetsUninstallDeleteThemAndEnabledFalseLeavesThemOut() {
    for (ObjectNode crd :
        template(Map.of("crds", Map.of("keep", false))).ofKind("CustomResourceDefinition")) {
      assertThat(crd.path("metadata").has("annotations")).as(DeployFiles.id(crd)).isFalse();
    }
    assertThat(
            template(Map.of("crds", Map.of("enabled", false))).ofKind("CustomResourceDefinition"))
        .isEmpty();
  }

  // --- ServiceAccount and RBAC

  @Test
  void serviceAccountCreateFalseRunsAsTheNamedAccountAndBindsIt() {
    Kustomize.Build build =
        template(Map.of("serviceAccount", Map.of("create", false, "name", "operator-sa")));
    assertThat(build.ofKind("ServiceAccount")).as("the chart creates none").isEmpty();
    assertThat(podSpec(build).path("serviceAccountName").asText()).isEqualTo("operator-sa");
    assertThat(subjects(build))
        .isNotEmpty()
        .containsOnly("ServiceAccount " + OPERATOR_NAMESPACE + "/operator-sa");

    assertThatThrownBy(() -> template(Map.of("serviceAccount", Map.of("create", false))))
        .as("never the namespace's default ServiceAccount")
        .hasMessageContaining("serviceAccount.name");
  }

  @Test
  void serviceAccountNameRenamesTheCreatedAccount() {
    Kustomize.Build build = template(Map.of("serviceAccount", Map.of("name", "lio")));
    build.one("ServiceAccount", OPERATOR_NAMESPACE, "lio");
    assertThat(podSpec(build).path("serviceAccountName").asText()).isEqualTo("lio");
    assertThat(subjects(build)).containsOnly("ServiceAccount " + OPERATOR_NAMESPACE + "/lio");
    assertThatThrownBy(() -> template(Map.of("serviceAccount", Map.of("name", "Not_A_Name"))))
        .hasMessageContaining("serviceAccount");
  }

  @Test
  void rbacCreateFalseRendersNoRbacAtAll() {
    for (Map<String, ?> values :
        List.<Map<String, ?>>of(
            Map.of("rbac", Map.of("create", false)),
            Map.of("rbac", Map.of("create", false), "watchNamespaces", List.of("team-a")))) {
      Kustomize.Build build = template(values);
      assertThat(build.objects().stream().map(DeployFiles::kind))
          .as(values.toString())
          .doesNotContainAnyElementsOf(RBAC_KINDS)
          .contains("Deployment", "ServiceAccount");
    }
  }

  @Test
  void aggregatedRolesLetViewersReadAndEditorsWriteLambdaInvocationsButNotPolicies() {
    Kustomize.Build build = template(Map.of());
    JsonNode view = build.one("ClusterRole", "", OPERATOR_NAME + "-view");
    JsonNode edit = build.one("ClusterRole", "", OPERATOR_NAME + "-edit");

    assertThat(aggregatesTo(view)).containsExactlyInAnyOrder("view", "edit", "admin");
    assertThat(aggregatesTo(edit)).containsExactlyInAnyOrder("edit", "admin");
    assertThat(grants(view.path("rules")))
        .containsOnlyKeys(
            "lambda.ephemeral.dev/lambdainvocations",
            "lambda.ephemeral.dev/lambdainvocations/status")
        .allSatisfy((resource, verbs) -> assertThat(verbs).containsOnly("get", "list", "watch"));
    assertThat(grants(edit.path("rules")))
        .containsOnlyKeys("lambda.ephemeral.dev/lambdainvocations")
        .allSatisfy(
            (resource, verbs) ->
                assertThat(verbs)
                    .containsOnly("create", "update", "patch", "delete", "deletecollection"));
    assertThat(
            build.objects().stream()
                .filter(o -> RBAC_KINDS.contains(DeployFiles.kind(o)))
                .filter(o -> DeployFiles.kind(o).endsWith("Binding"))
                .map(b -> b.path("roleRef").path("name").asText()))
        .as("bound by the API server's aggregation only")
        .doesNotContain(DeployFiles.name(view), DeployFiles.name(edit));
    assertThat(DeployManifestsTest.wildcards((ObjectNode) view)).isEmpty();
    assertThat(DeployManifestsTest.wildcards((ObjectNode) edit)).isEmpty();

    for (Map<String, ?> off :
        List.<Map<String, ?>>of(
            Map.of("rbac", Map.of("aggregateClusterRoles", false)),
            Map.of("rbac", Map.of("create", false)))) {
      assertThat(template(off).objects())
          .as(off.toString())
          .noneMatch(HelmChartTest::isAggregatedRole);
    }
  }

  @Test
  void rolloutRestartsDisabledDropsPatchOnWorkloads() {
    for (List<String> watched : List.of(List.<String>of(), List.of("team-a"))) {
      Kustomize.Build defaults = template(Map.of("watchNamespaces", watched));
      assertThat(workloadGrants(defaults))
          .as("by default, to restart secret.rolloutRestartTargets")
          .containsOnly(
              "apps/daemonsets=[patch]", "apps/deployments=[patch]", "apps/statefulsets=[patch]");

      Kustomize.Build off =
          template(Map.of("watchNamespaces", watched, "rolloutRestarts", Map.of("enabled", false)));
      assertThat(workloadGrants(off)).as("watchNamespaces " + watched).isEmpty();
      assertThat(grantedResources(off))
          .as("everything else stays")
          .isEqualTo(
              grantedResources(defaults).stream()
                  .filter(r -> !r.startsWith(WORKLOAD_GRANT_PREFIX))
                  .collect(Collectors.toSet()));
    }
  }

  // --- the Deployment

  @Test
  void logLevelAndLogFormatSetTheOperatorsVariables() {
    JsonNode defaults = operatorContainer(template(Map.of()));
    assertThat(envVar(defaults, "LOG_LEVEL")).as("empty: the operator's default, INFO").isEmpty();
    assertThat(envVar(defaults, "LOG_FORMAT")).as("empty: text").isEmpty();

    JsonNode container =
        operatorContainer(template(Map.of("logLevel", "DEBUG", "logFormat", "json")));
    assertThat(envValue(container, "LOG_LEVEL")).hasValue("DEBUG");
    assertThat(envValue(container, "LOG_FORMAT")).hasValue("json");

    assertThatThrownBy(() -> template(Map.of("logFormat", "logfmt")))
        .hasMessageContaining("logFormat");
    assertThatThrownBy(() -> template(Map.of("logLevel", "VERBOSE")))
        .hasMessageContaining("logLevel");
  }

  @Test
  void topologySpreadConstraintsSpreadTheOperatorsOwnPodsUnlessTheySaySo() {
    Map<String, Object> byZone =
        Map.of(
            "maxSkew", 1,
            "topologyKey", "topology.kubernetes.io/zone",
            "whenUnsatisfiable", "ScheduleAnyway");
    Map<String, Object> own =
        Map.of(
            "maxSkew",
            2,
            "topologyKey",
            "kubernetes.io/hostname",
            "whenUnsatisfiable",
            "DoNotSchedule",
            "labelSelector",
            Map.of("matchLabels", Map.of("tier", "control")));
    Kustomize.Build build = template(Map.of("topologySpreadConstraints", List.of(byZone, own)));
    JsonNode constraints = podSpec(build).path("topologySpreadConstraints");
    assertThat(constraints).hasSize(2);
    assertThat(constraints.get(0).path("topologyKey").asText())
        .isEqualTo("topology.kubernetes.io/zone");
    assertThat(constraints.get(0).path("labelSelector").path("matchLabels"))
        .as("the Deployment's selector: the operator's pods")
        .isEqualTo(operatorDeployment(build).path("spec").path("selector").path("matchLabels"));
    assertThat(constraints.get(1).path("labelSelector").path("matchLabels").path("tier").asText())
        .isEqualTo("control");
    assertThat(KubernetesModel.unknownFields(KubernetesModel.typed(operatorDeployment(build))))
        .isEmpty();

    assertThat(podSpec(template(Map.of())).has("topologySpreadConstraints")).isFalse();
    assertThatThrownBy(
            () -> template(Map.of("topologySpreadConstraints", List.of(Map.of("maxSkew", 1)))))
        .hasMessageContaining("topologyKey");
  }

  @Test
  void extraVolumesAreMountedBesideTheTmpEmptyDirOnAReadOnlyRoot() {
    Kustomize.Build build =
        template(
            Map.of(
                "extraVolumes",
                List.of(Map.of("name", "ca", "configMap", Map.of("name", "corporate-ca"))),
                "extraVolumeMounts",
                List.of(Map.of("name", "ca", "mountPath", "/etc/ca", "readOnly", true))));
    JsonNode volumes = podSpec(build).path("volumes");
    assertThat(volumes).extracting(v -> v.path("name").asText()).containsExactly("tmp", "ca");
    assertThat(volumes.get(1).path("configMap").path("name").asText()).isEqualTo("corporate-ca");
    JsonNode mounts = operatorContainer(build).path("volumeMounts");
    assertThat(mounts)
        .extracting(m -> m.path("mountPath").asText())
        .containsExactly("/tmp", "/etc/ca");
    assertThat(DeployManifestsTest.emptyDirMounts(build)).containsExactly("/tmp");
    DeployManifestsTest.assertHardened(build);

    assertThatThrownBy(() -> template(Map.of("extraVolumeMounts", List.of(Map.of("name", "ca")))))
        .hasMessageContaining("mountPath");
  }

  @Test
  void deploymentAnnotationsAnnotateTheDeploymentNotItsPods() {
    Kustomize.Build build =
        template(Map.of("deploymentAnnotations", Map.of("reloader.stakater.com/auto", "true")));
    JsonNode deployment = operatorDeployment(build);
    assertThat(
            deployment
                .path("metadata")
                .path("annotations")
                .path("reloader.stakater.com/auto")
                .asText())
        .isEqualTo("true");
    assertThat(
            deployment
                .path("spec")
                .path("template")
                .path("metadata")
                .path("annotations")
                .has("reloader.stakater.com/auto"))
        .isFalse();
    assertThat(operatorDeployment(template(Map.of())).path("metadata").has("annotations"))
        .isFalse();
  }

  @Test
  void commonLabelsLabelEveryObjectAndPodButNotTheSelector() {
    Kustomize.Build build =
        template(
            List.of(HelmChart.MONITORING_VALUES),
            Map.of("commonLabels", Map.of("team", "platform", "cost-center", "42")));
    assertThat(build.objects()).hasSizeGreaterThan(10);
    for (ObjectNode object : build.objects()) {
      JsonNode labels = object.path("metadata").path("labels");
      assertThat(labels.path("team").asText()).as(DeployFiles.id(object)).isEqualTo("platform");
      assertThat(labels.path("cost-center").asText()).as(DeployFiles.id(object)).isEqualTo("42");
      assertThat(labels.path("app.kubernetes.io/name").asText())
          .as(DeployFiles.id(object) + " keeps the chart's labels")
          .isEqualTo(OPERATOR_NAME);
    }
    JsonNode deployment = operatorDeployment(build);
    assertThat(
            deployment
                .path("spec")
                .path("template")
                .path("metadata")
                .path("labels")
                .path("team")
                .asText())
        .isEqualTo("platform");
    assertThat(deployment.path("spec").path("selector").path("matchLabels").has("team"))
        .as("the selector never changes with commonLabels")
        .isFalse();

    assertThatThrownBy(
            () -> template(Map.of("commonLabels", Map.of("app.kubernetes.io/name", "other"))))
        .hasMessageContaining("commonLabels")
        .hasMessageContaining("app.kubernetes.io/name");
    assertThatThrownBy(() -> template(Map.of("commonLabels", Map.of("replicas", 2))))
        .hasMessageContaining("commonLabels");
  }

  // --- helpers

  /** Each binding's subjects, as "kind namespace/name". */
  private static Set<String> subjects(Kustomize.Build build) {
    Set<String> subjects = new TreeSet<>();
    for (ObjectNode binding : build.objects()) {
      if (DeployFiles.kind(binding).endsWith("Binding")) {
        binding
            .path("subjects")
            .forEach(
                s ->
                    subjects.add(
                        s.path("kind").asText()
                            + " "
                            + s.path("namespace").asText()
                            + "/"
                            + s.path("name").asText()));
      }
    }
    return subjects;
  }

  private static Set<String> aggregatesTo(JsonNode role) {
    Set<String> roles = new TreeSet<>();
    role.path("metadata")
        .path("labels")
        .fields()
        .forEachRemaining(
            label -> {
              if (label.getKey().startsWith(AGGREGATE)) {
                assertThat(label.getValue().asText()).isEqualTo("true");
                roles.add(label.getKey().substring(AGGREGATE.length()));
              }
            });
    return roles;
  }

  /**
   * The operator's grants on workloads, over all its Roles and ClusterRoles, as "resource=verbs".
   */
  private static Set<String> workloadGrants(Kustomize.Build build) {
    Map<String, Set<String>> all = new TreeMap<>();
    operatorRoles(build)
        .forEach(
            role ->
                grants(role.path("rules"))
                    .forEach((k, v) -> all.computeIfAbsent(k, x -> new TreeSet<>()).addAll(v)));
    return all.entrySet().stream()
        .filter(e -> e.getKey().startsWith(WORKLOAD_GRANT_PREFIX))
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.toSet());
  }

  private static Set<String> grantedResources(Kustomize.Build build) {
    return operatorRoles(build)
        .flatMap(role -> grants(role.path("rules")).keySet().stream())
        .collect(Collectors.toSet());
  }

  private static Stream<ObjectNode> operatorRoles(Kustomize.Build build) {
    return HelmChartTest.withoutAggregatedRoles(build).objects().stream()
        .filter(o -> Set.of("Role", "ClusterRole").contains(DeployFiles.kind(o)));
  }
}
