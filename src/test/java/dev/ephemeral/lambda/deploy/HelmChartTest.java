package dev.ephemeral.lambda.deploy;

import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAME;
import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAMESPACE;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.envValue;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.envVar;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.operatorContainer;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.operatorDeployment;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.podSpec;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.LintResult;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.metrics.OperatorMetrics;
import dev.ephemeral.lambda.model.Trigger;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * charts/lambda-invocation-operator, without a cluster: {@code helm lint} passes, and {@code helm
 * template} renders, with the default values and with the namespaced and monitoring ones, what
 * deploy/ installs: the same objects, the same RBAC rules (so a change to deploy/'s RBAC fails here
 * until the chart follows), the same operator container, and manifests that pass the checks of
 * {@link DeployManifestsTest}.
 */
class HelmChartTest {

  /** The release name that gives the chart's objects deploy/'s names. */
  static final String RELEASE = OPERATOR_NAME;

  static final String POLICY_MODE = "POLICY_MODE";
  static final String ROLE_ARN = "eks.amazonaws.com/role-arn";

  static Kustomize.Build template(List<Path> valuesFiles, Map<String, ?> values) {
    return HelmChart.template(RELEASE, OPERATOR_NAMESPACE, valuesFiles, values);
  }

  static Kustomize.Build template(Map<String, ?> values) {
    return template(List.of(), values);
  }

  static Stream<Arguments> installs() {
    return Stream.of(
        Arguments.of("default values", List.of()),
        Arguments.of("namespaced values", List.of(HelmChart.NAMESPACED_VALUES)),
        Arguments.of("monitoring values", List.of(HelmChart.MONITORING_VALUES)),
        Arguments.of(
            "namespaced and monitoring values",
            List.of(HelmChart.NAMESPACED_VALUES, HelmChart.MONITORING_VALUES)));
  }

  // --- the chart's files

  @Test
  void chartPassesHelmLintStrict() {
    LintResult lint = HelmChart.lint();
    assertThat(lint.getMessages())
        .as("helm lint --strict")
        .noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    assertThat(lint.isFailed()).as("helm lint --strict: " + lint.getMessages()).isFalse();
  }

  @Test
  void chartCrdsAreTheCommittedOnes() throws IOException {
    Path committed = DeployManifestsTest.COMMITTED_CRD.getParent();
    List<Path> expected = fileNames(committed);
    assertThat(expected).contains(DeployManifestsTest.COMMITTED_CRD.getFileName());
    assertThat(fileNames(HelmChart.CRDS))
        .as(HelmChart.CRDS + "/ holds the files of " + committed + "/, and only those")
        .containsExactlyElementsOf(expected);
    for (Path name : expected) {
      Path chartCrd = HelmChart.CRDS.resolve(name);
      if (Files.mismatch(chartCrd, committed.resolve(name)) != -1) {
        throw new AssertionError(
            chartCrd
                + " differs from "
                + committed.resolve(name)
                + " (templates/crds.yaml renders the CRDs from it). Update it with:\n\n    cp "
                + committed.resolve(name)
                + " "
                + HelmChart.CRDS
                + "/\n");
      }
    }
  }

  @Test
  void chartHasNoHelmCrdsDirectory() {
    // Helm would create the CRDs from crds/ before the templates, and then refuse
    // templates/crds.yaml
    // (the objects exist, not owned by the release): the copies belong in files/crds/.
    assertThat(HelmChart.CHART.resolve("crds"))
        .as("copy the CRDs to " + HelmChart.CRDS + "/ instead")
        .doesNotExist();
  }

  private static List<Path> fileNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(Path::getFileName).sorted().toList();
    }
  }

  @Test
  void chartRunsTheImageThatDeployNames() {
    ObjectNode chart = DeployFiles.document(HelmChart.CHART_YAML);
    JsonNode image =
        DeployFiles.document(DeployFiles.DEPLOY.resolve("base").resolve(DeployFiles.KUSTOMIZATION))
            .path("images")
            .get(0);
    assertThat(chart.path("name").asText()).isEqualTo(OPERATOR_NAME);
    assertThat(chart.path("appVersion").asText()).isEqualTo(image.path("newTag").asText());
    assertThat(DeployFiles.document(HelmChart.VALUES).path("image").path("repository").asText())
        .isEqualTo(image.path("newName").asText());
  }

  // --- rendered: deploy/'s checks

  @ParameterizedTest(name = "{0}")
  @MethodSource("installs")
  void renderedManifestsPassTheChecksOfDeploy(String name, List<Path> valuesFiles) {
    Kustomize.Build build = withoutAggregatedRoles(template(valuesFiles, Map.of()));
    List<String> problems = new ArrayList<>();
    for (ObjectNode object : build.objects()) {
      try {
        KubernetesModel.unknownFields(KubernetesModel.typed(object))
            .forEach(f -> problems.add(DeployFiles.id(object) + ": unknown field " + f));
      } catch (AssertionError | RuntimeException e) {
        problems.add(e.getMessage());
      }
      problems.addAll(DeployManifestsTest.wildcards(object));
    }
    assertThat(problems).isEmpty();
    DeployManifestsTest.assertObjectsLiveInTheOperatorNamespace(build);
    DeployManifestsTest.assertHighlyAvailable(build);
    DeployManifestsTest.assertHardened(build);
    DeployManifestsTest.assertProbesAndResources(build);
    DeployManifestsTest.assertMetricsService(build);
    DeployManifestsTest.assertBindingsGrantExistingRolesToTheOperatorOnly(build);
    DeployManifestsTest.assertLeaderElectionMayUseItsLease(build);
    if (valuesFiles.contains(HelmChart.NAMESPACED_VALUES)) {
      DeployManifestsTest.assertWatchesChosenNamespacesWithRolesOnly(build);
    } else {
      assertThat(envVar(operatorContainer(build), OperatorConfig.WATCH_NAMESPACES)).isEmpty();
    }
  }

  // --- rendered: the same install as deploy/

  static Stream<Arguments> equivalents() {
    String roleArn =
        DeployFiles.document(DeployFiles.IRSA.resolve("irsa-patch.yaml"))
            .path("metadata")
            .path("annotations")
            .path(ROLE_ARN)
            .asText();
    return Stream.of(
        Arguments.of("default values", List.of(), Map.of(), DeployFiles.CLUSTER_WIDE, List.of()),
        Arguments.of(
            "namespaced values",
            List.of(HelmChart.NAMESPACED_VALUES),
            Map.of(),
            DeployFiles.NAMESPACED,
            List.of()),
        Arguments.of(
            "aws.staticKeysSecret",
            List.of(),
            Map.of("aws", Map.of("staticKeysSecret", "aws-credentials")),
            DeployFiles.CLUSTER_WIDE,
            List.of(DeployFiles.STATIC_KEYS)),
        Arguments.of(
            "serviceAccount.annotations (IRSA), namespaced",
            List.of(HelmChart.NAMESPACED_VALUES),
            Map.of("serviceAccount", Map.of("annotations", Map.of(ROLE_ARN, roleArn))),
            DeployFiles.NAMESPACED,
            List.of(DeployFiles.IRSA)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("equivalents")
  void rendersWhatDeployInstalls(
      String name,
      List<Path> valuesFiles,
      Map<String, ?> values,
      Path variant,
      List<Path> components) {
    Kustomize.Build chart = template(valuesFiles, values);
    Kustomize.Build deploy = Kustomize.build(variant, components);

    // The same objects, but the namespace (helm install --create-namespace) and the chart's
    // ClusterRoles that extend view/edit/admin (HelmChartValuesTest). Neither ships a
    // LambdaInvocationPolicy: policies are the administrator's to write.
    Set<String> notTemplated = Set.of("Namespace");
    assertThat(ids(withoutAggregatedRoles(chart).objects()))
        .containsExactlyInAnyOrderElementsOf(
            ids(
                deploy.objects().stream()
                    .filter(o -> !notTemplated.contains(DeployFiles.kind(o)))
                    .toList()));

    // The same CRDs, but the release's labels and the keep annotation.
    for (ObjectNode crd : deploy.ofKind("CustomResourceDefinition")) {
      ObjectNode chartCrd =
          chart.one("CustomResourceDefinition", "", DeployFiles.name(crd)).deepCopy();
      ((ObjectNode) chartCrd.path("metadata")).remove(List.of("labels", "annotations"));
      assertThat(chartCrd).as(DeployFiles.id(crd)).isEqualTo(crd);
    }

    // The same RBAC rules, Role by Role.
    for (ObjectNode role : deploy.objects()) {
      if (Set.of("Role", "ClusterRole").contains(DeployFiles.kind(role))) {
        JsonNode chartRole =
            chart.one(DeployFiles.kind(role), DeployFiles.namespace(role), DeployFiles.name(role));
        assertThat(ruleSet(chartRole))
            .as(DeployFiles.id(role) + ": the chart's rules against deploy/'s")
            .isEqualTo(ruleSet(role));
      }
      if (Set.of("RoleBinding", "ClusterRoleBinding").contains(DeployFiles.kind(role))) {
        JsonNode chartBinding =
            chart.one(DeployFiles.kind(role), DeployFiles.namespace(role), DeployFiles.name(role));
        assertThat(chartBinding.path("roleRef")).isEqualTo(role.path("roleRef"));
        assertThat(chartBinding.path("subjects")).isEqualTo(role.path("subjects"));
      }
    }

    // The same Deployment: replicas, the pod (but the anti-affinity's labels), the container
    // (env compared by name: a kustomize patch puts its variables first).
    JsonNode chartDeployment = operatorDeployment(chart);
    JsonNode deployDeployment = operatorDeployment(deploy);
    for (String field : List.of("replicas", "revisionHistoryLimit")) {
      assertThat(chartDeployment.path("spec").path(field))
          .as(field)
          .isEqualTo(deployDeployment.path("spec").path(field));
    }
    assertThat(without(podSpec(chart), "containers", "affinity"))
        .isEqualTo(without(podSpec(deploy), "containers", "affinity"));
    assertThat(podSpec(chart).path("affinity").path("podAntiAffinity").toString())
        .contains("kubernetes.io/hostname");
    JsonNode chartContainer = operatorContainer(chart);
    JsonNode deployContainer = operatorContainer(deploy);
    assertThat(without(chartContainer, "env")).isEqualTo(without(deployContainer, "env"));
    assertThat(envByName(chartContainer)).isEqualTo(envByName(deployContainer));

    // The same ServiceAccount (annotations too), metrics Service ports and annotations, and PDB.
    JsonNode sa = chart.one("ServiceAccount", OPERATOR_NAMESPACE, OPERATOR_NAME);
    JsonNode deploySa = deploy.one("ServiceAccount", OPERATOR_NAMESPACE, OPERATOR_NAME);
    assertThat(sa.path("metadata").path("annotations"))
        .isEqualTo(deploySa.path("metadata").path("annotations"));
    assertThat(sa.path("automountServiceAccountToken"))
        .isEqualTo(deploySa.path("automountServiceAccountToken"));
    String service = OPERATOR_NAME + "-metrics";
    JsonNode chartService = chart.one("Service", OPERATOR_NAMESPACE, service);
    JsonNode deployService = deploy.one("Service", OPERATOR_NAMESPACE, service);
    assertThat(chartService.path("spec").path("ports"))
        .isEqualTo(deployService.path("spec").path("ports"));
    assertThat(chartService.path("metadata").path("annotations"))
        .isEqualTo(deployService.path("metadata").path("annotations"));
    assertThat(
            chart
                .one("PodDisruptionBudget", OPERATOR_NAMESPACE, OPERATOR_NAME)
                .path("spec")
                .path("maxUnavailable"))
        .isEqualTo(
            deploy
                .one("PodDisruptionBudget", OPERATOR_NAMESPACE, OPERATOR_NAME)
                .path("spec")
                .path("maxUnavailable"));
  }

  // --- values

  @Test
  void watchNamespacesGrantsRolesInThoseNamespacesOnly() {
    Kustomize.Build build = template(Map.of("watchNamespaces", List.of("payments")));
    DeployManifestsTest.assertWatchesChosenNamespacesWithRolesOnly(withoutAggregatedRoles(build));
    assertThat(envValue(operatorContainer(build), OperatorConfig.WATCH_NAMESPACES))
        .hasValue("payments");
    Set<String> roleNamespaces =
        build.ofKind("Role").stream().map(DeployFiles::namespace).collect(Collectors.toSet());
    assertThat(roleNamespaces).containsExactlyInAnyOrder(OPERATOR_NAMESPACE, "payments");

    assertThatThrownBy(() -> template(Map.of("watchNamespaces", List.of("Team_A"))))
        .hasMessageContaining("watchNamespaces");
    assertThatThrownBy(() -> template(Map.of("watchNamespaces", List.of("a", "a"))))
        .hasMessageContaining("watchNamespaces");
  }

  @Test
  void policyModeIsEnforceUnlessTurnedOffAndOnlyEnforceReadsPolicies() {
    Kustomize.Build defaults = template(Map.of());
    assertThat(envValue(operatorContainer(defaults), POLICY_MODE))
        .as("as deploy/: only what a policy allows is invoked")
        .hasValue("Enforce");
    assertThat(defaults.ofKind("ClusterRole").stream().map(DeployFiles::name))
        .contains("lambda-invocation-operator-policies");
    for (Object off : List.of("Off", false)) {
      // Unquoted in a values file, Off is YAML's false: Off as well.
      Kustomize.Build build = template(Map.of("policyMode", off));
      assertThat(envValue(operatorContainer(build), POLICY_MODE)).hasValue("Off");
      assertThat(build.ofKind("ClusterRole").stream().map(DeployFiles::name))
          .as("Off reads no policy and no namespace")
          .doesNotContain("lambda-invocation-operator-policies");
    }
    assertThatThrownBy(() -> template(Map.of("policyMode", "Audit")))
        .hasMessageContaining("policyMode");
  }

  @Test
  void withoutLeaderElectionOneReplicaAndNoLeaseRules() {
    assertThatThrownBy(() -> template(Map.of("leaderElection", false)))
        .as("two replicas without a leader would both invoke")
        .hasMessageContaining("replicaCount: 1");

    Kustomize.Build build = template(Map.of("leaderElection", false, "replicaCount", 1));
    assertThat(operatorDeployment(build).path("spec").path("replicas").asInt()).isEqualTo(1);
    assertThat(envValue(operatorContainer(build), OperatorConfig.LEADER_ELECTION))
        .hasValue("false");
    JsonNode role = build.one("Role", OPERATOR_NAMESPACE, OPERATOR_NAME + "-leader-election");
    assertThat(DeployManifestsTest.grants(role.path("rules")))
        .as("the data-hash key Secret only")
        .containsOnlyKeys("/secrets");
  }

  @Test
  void imageRegionResourcesAndExtraEnvComeFromValues() {
    Kustomize.Build build =
        template(
            Map.of(
                "image",
                Map.of("repository", "registry.example.com/lio", "tag", "1.2.3"),
                "replicaCount",
                3,
                "aws",
                Map.of("region", "us-east-2"),
                "resources",
                Map.of("requests", Map.of("cpu", "250m", "memory", "300Mi")),
                "extraEnv",
                List.of(Map.of("name", "MAX_INVOCATIONS_IN_FLIGHT", "value", "20"))));
    JsonNode container = operatorContainer(build);
    assertThat(container.path("image").asText()).isEqualTo("registry.example.com/lio:1.2.3");
    assertThat(operatorDeployment(build).path("spec").path("replicas").asInt()).isEqualTo(3);
    assertThat(envValue(container, "AWS_REGION")).hasValue("us-east-2");
    assertThat(envValue(container, OperatorConfig.MAX_INVOCATIONS_IN_FLIGHT)).hasValue("20");
    assertThat(container.path("resources").path("requests").path("cpu").asText()).isEqualTo("250m");
    assertThat(container.path("resources").has("limits"))
        .as("a values map replaces the default, it does not merge")
        .isTrue();

    String digest = "sha256:" + "a".repeat(64);
    assertThat(
            operatorContainer(template(Map.of("image", Map.of("digest", digest))))
                .path("image")
                .asText())
        .isEqualTo("ghcr.io/example/lambda-invocation-operator@" + digest);
    assertThat(
            envVar(operatorContainer(template(Map.of("aws", Map.of("region", "")))), "AWS_REGION"))
        .as("no region: the SDK's chain decides")
        .isEmpty();
  }

  @Test
  void valuesSchemaRefusesUnknownKeysAndWrongTypes() {
    assertThatThrownBy(() -> template(Map.of("replicas", 3))).hasMessageContaining("replicas");
    assertThatThrownBy(() -> template(Map.of("replicaCount", "two")))
        .hasMessageContaining("replicaCount");
    assertThatThrownBy(() -> template(Map.of("serviceMonitor", Map.of("enable", true))))
        .hasMessageContaining("enable");
  }

  @Test
  void anotherReleaseNameAndNamespaceKeepTheOperatorsFixedNames() {
    Kustomize.Build build =
        HelmChart.template("platform", "ops", List.of(HelmChart.NAMESPACED_VALUES), Map.of());
    String fullname = "platform-" + OPERATOR_NAME;
    build.one("ServiceAccount", "ops", fullname);
    assertThat(DeployFiles.namespace(deploymentNamed(build, fullname))).isEqualTo("ops");
    for (ObjectNode binding : build.ofKind("RoleBinding")) {
      JsonNode subject = binding.path("subjects").get(0);
      assertThat(subject.path("name").asText()).isEqualTo(fullname);
      assertThat(subject.path("namespace").asText()).isEqualTo("ops");
      build.one(
          "Role", DeployFiles.namespace(binding), binding.path("roleRef").path("name").asText());
    }
    // The Lease and the data-hash key Secret are named by the operator, not by the release.
    JsonNode role = build.one("Role", "ops", fullname + "-leader-election");
    Set<String> resourceNames = new TreeSet<>();
    role.path("rules").forEach(r -> resourceNames.addAll(strings(r.path("resourceNames"))));
    assertThat(resourceNames)
        .containsExactlyInAnyOrder(
            OperatorConfig.LEASE_NAME, "lambda-invocation-operator-data-hash-key");
  }

  // --- monitoring

  @Test
  void monitoringIsOffByDefault() {
    Set<String> kinds =
        template(Map.of()).objects().stream().map(DeployFiles::kind).collect(Collectors.toSet());
    assertThat(kinds).doesNotContain("ServiceMonitor", "PrometheusRule");
  }

  @Test
  void serviceMonitorScrapesTheMetricsServiceOnly() {
    Kustomize.Build build = template(List.of(HelmChart.MONITORING_VALUES), Map.of());
    JsonNode monitor = build.one("ServiceMonitor", OPERATOR_NAMESPACE, OPERATOR_NAME);
    assertThat(monitor.path("metadata").path("labels").path("release").asText())
        .as("serviceMonitor.labels, for the Prometheus's selector")
        .isEqualTo("kube-prometheus-stack");
    assertThat(strings(monitor.path("spec").path("namespaceSelector").path("matchNames")))
        .containsExactly(OPERATOR_NAMESPACE);
    JsonNode selector = monitor.path("spec").path("selector").path("matchLabels");
    List<ObjectNode> selected =
        build.ofKind("Service").stream()
            .filter(s -> matches(selector, s.path("metadata").path("labels")))
            .toList();
    assertThat(selected).hasSize(1);
    JsonNode service = selected.get(0);
    assertThat(monitor.path("spec").path("endpoints")).hasSize(1);
    JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
    assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");
    assertThat(service.path("spec").path("ports").findValuesAsText("name"))
        .contains(endpoint.path("port").asText());
    assertThat(service.path("metadata").path("annotations").path("prometheus.io/path").asText())
        .isEqualTo(endpoint.path("path").asText());
  }

  /** Metric name followed by its label matchers or range: {@code name{...}} or {@code name[5m]}. */
  private static final Pattern SELECTOR =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{([^}]*)})?\\s*\\[");

  private static final Pattern MATCHER =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");

  private static final Pattern BY = Pattern.compile("by\\s*\\(([^)]*)\\)");

  /** Labels Prometheus adds to every scraped series (the Prometheus Operator's target labels). */
  private static final Set<String> TARGET_LABELS =
      Set.of("namespace", "pod", "service", "endpoint", "job", "instance", "container");

  @Test
  void alertsUseTheMetricsAndLabelsTheOperatorExports() {
    Map<String, Map<String, Set<String>>> exported = exportedSeries();
    JsonNode rule =
        template(List.of(HelmChart.MONITORING_VALUES), Map.of())
            .one("PrometheusRule", OPERATOR_NAMESPACE, OPERATOR_NAME);
    JsonNode rules = rule.path("spec").path("groups").get(0).path("rules");
    Map<String, String> alerts = new TreeMap<>();
    rules.forEach(r -> alerts.put(r.path("alert").asText(), r.path("expr").asText()));
    assertThat(alerts)
        .containsOnlyKeys(
            "LambdaInvocationFailures",
            "LambdaInvocationNotReadyNeedsAction",
            "LambdaInvocationReconcileErrors");

    for (JsonNode r : rules) {
      String alert = r.path("alert").asText();
      String expr = r.path("expr").asText();
      assertThat(r.path("labels").path("severity").asText()).as(alert).isEqualTo("warning");
      assertThat(r.path("annotations").path("summary").asText()).as(alert).isNotBlank();
      assertThat(r.path("annotations").path("description").asText()).as(alert).isNotBlank();

      Matcher selector = SELECTOR.matcher(expr);
      Set<String> metricLabels = new TreeSet<>(TARGET_LABELS);
      int selectors = 0;
      while (selector.find()) {
        selectors++;
        String metric = selector.group(1);
        assertThat(exported).as(alert + ": the operator exports " + metric).containsKey(metric);
        Map<String, Set<String>> labels = exported.get(metric);
        metricLabels.addAll(labels.keySet());
        Matcher matcher = MATCHER.matcher(selector.group(3) == null ? "" : selector.group(3));
        while (matcher.find()) {
          String label = matcher.group(1);
          assertThat(labels)
              .as(alert + ": " + metric + " has the label " + label)
              .containsKey(label);
          if (matcher.group(2).equals("=")) {
            assertThat(labels.get(label))
                .as(alert + ": " + metric + "{" + label + "} takes the value")
                .contains(matcher.group(3));
          }
        }
      }
      assertThat(selectors).as(alert + ": a metric in " + expr).isPositive();
      Matcher by = BY.matcher(expr);
      while (by.find()) {
        for (String label : by.group(1).split(",")) {
          assertThat(metricLabels).as(alert + ": by " + label).contains(label.trim());
        }
      }
      // The annotations name only labels the expression keeps.
      Matcher reference =
          Pattern.compile("\\$labels\\.([a-zA-Z_]+)").matcher(r.path("annotations").toString());
      while (reference.find()) {
        assertThat(expr).as(alert + ": $labels." + reference.group(1)).contains(reference.group(1));
      }
    }

    // "Needs action" means exactly the Ready reasons that need a person.
    Matcher reasons =
        Pattern.compile("reason=~\"([^\"]*)\"")
            .matcher(alerts.get("LambdaInvocationNotReadyNeedsAction"));
    assertThat(reasons.find()).isTrue();
    assertThat(new TreeSet<>(Arrays.asList(reasons.group(1).split("\\|"))))
        .isEqualTo(
            Stream.of(ReadyReason.values())
                .filter(ReadyReason::needsUser)
                .map(Enum::name)
                .collect(Collectors.toCollection(TreeSet::new)));
    assertThat(alerts.get("LambdaInvocationFailures")).contains("outcome=\"failure\"");
  }

  /**
   * What the operator's registry exports once an invocation and a reconcile failed, as Prometheus
   * scrapes it: metric name to label name to the values seen.
   */
  private static Map<String, Map<String, Set<String>>> exportedSeries() {
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var resource = new LambdaInvocation();
    resource.setMetadata(new ObjectMetaBuilder().withName("r").withNamespace("team-a").build());
    new OperatorMetrics(registry, () -> 0, () -> 0, () -> true, () -> 0)
        .invoked(resource, Trigger.SPEC_CHANGED, ReadyReason.AccessDenied, Duration.ofMillis(5));
    MicrometerMetrics.withoutPerResourceMetrics(registry)
        .failedReconciliation(resource, new IllegalStateException("refused"), Map.of());
    Map<String, Map<String, Set<String>>> series = new HashMap<>();
    Pattern sample = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? .*$");
    for (String line : registry.scrape().split("\n")) {
      Matcher m = sample.matcher(line);
      if (line.startsWith("#") || !m.matches()) {
        continue;
      }
      Map<String, Set<String>> labels = series.computeIfAbsent(m.group(1), k -> new HashMap<>());
      Matcher label = MATCHER.matcher(m.group(3) == null ? "" : m.group(3));
      while (label.find()) {
        labels.computeIfAbsent(label.group(1), k -> new TreeSet<>()).add(label.group(3));
      }
    }
    return series;
  }

  // --- helpers

  /** The rendered objects but the ClusterRoles that extend Kubernetes' view, edit and admin. */
  static Kustomize.Build withoutAggregatedRoles(Kustomize.Build build) {
    return new Kustomize.Build(
        build.objects().stream().filter(o -> !isAggregatedRole(o)).toList(), build.files());
  }

  static boolean isAggregatedRole(JsonNode object) {
    var labels = object.path("metadata").path("labels").fieldNames();
    while (labels.hasNext()) {
      if (labels.next().startsWith("rbac.authorization.k8s.io/aggregate-to-")) {
        return true;
      }
    }
    return false;
  }

  /** A Role's or ClusterRole's rules, parsed, as a set (each rule's lists as sets). */
  static Set<Rule> ruleSet(JsonNode role) {
    Set<Rule> rules = new LinkedHashSet<>();
    for (JsonNode node : role.path("rules")) {
      PolicyRule rule = KubernetesModel.typed(node, PolicyRule.class);
      rules.add(
          new Rule(
              sorted(rule.getApiGroups()),
              sorted(rule.getResources()),
              sorted(rule.getResourceNames()),
              sorted(rule.getVerbs()),
              sorted(rule.getNonResourceURLs())));
    }
    return rules;
  }

  record Rule(
      Set<String> apiGroups,
      Set<String> resources,
      Set<String> resourceNames,
      Set<String> verbs,
      Set<String> nonResourceURLs) {}

  private static Set<String> sorted(List<String> values) {
    return values == null ? Set.of() : new TreeSet<>(values);
  }

  private static List<String> ids(List<ObjectNode> objects) {
    return objects.stream().map(DeployFiles::id).toList();
  }

  private static JsonNode without(JsonNode object, String... fields) {
    ObjectNode copy = ((ObjectNode) object).deepCopy();
    copy.remove(List.of(fields));
    return copy;
  }

  private static Map<String, JsonNode> envByName(JsonNode container) {
    Map<String, JsonNode> env = new TreeMap<>();
    container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
    return env;
  }

  private static boolean matches(JsonNode selector, JsonNode labels) {
    var fields = selector.fields();
    boolean any = false;
    while (fields.hasNext()) {
      var field = fields.next();
      any = true;
      if (!labels.path(field.getKey()).asText().equals(field.getValue().asText())) {
        return false;
      }
    }
    return any;
  }

  private static JsonNode deploymentNamed(Kustomize.Build build, String name) {
    return build.objects().stream()
        .filter(o -> DeployFiles.kind(o).equals("Deployment") && DeployFiles.name(o).equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Deployment " + name));
  }
}
