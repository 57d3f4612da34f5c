package dev.ephemeral.lambda.deploy;

import static dev.ephemeral.lambda.deploy.DeployFiles.CONTAINER_NAME;
import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAME;
import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.config.OperatorConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespaced;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/ (but deploy/argocd/): every file parses into Kubernetes' typed model with no unknown
 * field, every kustomization lists files that exist, both variants render, the CRD is the committed
 * one, the Deployment is hardened and highly available, and RBAC has no wildcard and matches
 * between the cluster-wide and the namespaced install. The checks of a rendered install are static
 * ({@code assert...(Kustomize.Build)}): {@link HelmChartTest} runs them on the Helm chart too.
 */
class DeployManifestsTest {

  static final Path COMMITTED_CRD =
      Path.of("crds", "lambdainvocations.lambda.ephemeral.dev-v1.yml");
  static final Path DEPLOYED_CRD = DeployFiles.CRD_DIR.resolve(COMMITTED_CRD.getFileName());

  /** The ClusterRole that reads LambdaInvocationPolicies and namespaces, in both installs. */
  static final String POLICIES_ROLE = OPERATOR_NAME + "-policies";

  /** YAML files under deploy/ that no kustomization renders, on purpose. */
  static final Set<Path> EXAMPLES_NOT_RENDERED = Set.of(DeployFiles.STATIC_KEYS_SECRET);

  static Stream<Path> variants() {
    return Stream.of(DeployFiles.CLUSTER_WIDE, DeployFiles.NAMESPACED);
  }

  static Stream<Path> components() {
    return DeployFiles.kustomizationDirs().stream()
        .filter(
            dir ->
                DeployFiles.kind(DeployFiles.document(dir.resolve(DeployFiles.KUSTOMIZATION)))
                    .equals(Kustomize.COMPONENT_KIND));
  }

  // --- files

  @Test
  void everyManifestParsesIntoTheTypedModelWithoutUnknownFields() {
    List<Path> files = DeployFiles.yamlFiles();
    assertThat(files).contains(DeployFiles.CLUSTER_RBAC, DeployFiles.NAMESPACED_RBAC, DEPLOYED_CRD);
    List<String> problems = new ArrayList<>();
    for (Path file : files) {
      List<ObjectNode> docs = DeployFiles.documents(file);
      if (docs.isEmpty()) {
        problems.add(file + ": no document");
      }
      if (file.getFileName().toString().equals(DeployFiles.KUSTOMIZATION)) {
        String kind = DeployFiles.kind(docs.get(0));
        Kustomize.kustomization(file.getParent(), kind); // checks apiVersion, kind and fields
        continue;
      }
      for (ObjectNode doc : docs) {
        try {
          assertThat(doc.path("apiVersion").asText()).as(file + ": apiVersion").isNotEmpty();
          assertThat(DeployFiles.name(doc)).as(file + ": metadata.name").isNotEmpty();
          KubernetesResource typed = KubernetesModel.typed(doc);
          KubernetesModel.unknownFields(typed)
              .forEach(
                  f -> problems.add(file + " " + DeployFiles.id(doc) + ": unknown field " + f));
        } catch (AssertionError | RuntimeException e) {
          problems.add(file + ": " + e.getMessage());
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void theUnknownFieldCheckCatchesATypo() {
    ObjectNode deployment =
        (ObjectNode) operatorDeployment(Kustomize.build(DeployFiles.CLUSTER_WIDE)).deepCopy();
    ((ObjectNode)
            deployment
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0)
                .path("securityContext"))
        .put("readOnlyRootFileSystem", true);
    assertThat(KubernetesModel.unknownFields(KubernetesModel.typed(deployment)))
        .singleElement()
        .asString()
        .contains("readOnlyRootFileSystem");
  }

  @Test
  void theDeployedCrdIsTheCommittedOne() {
    String committed = DeployFiles.read(COMMITTED_CRD).replace("\r\n", "\n");
    String deployed = DeployFiles.read(DEPLOYED_CRD).replace("\r\n", "\n");
    if (!deployed.equals(committed)) {
      throw new AssertionError(
          DEPLOYED_CRD
              + " differs from "
              + COMMITTED_CRD
              + " (kustomize cannot read files outside deploy/, so deploy/ holds a copy). Update it"
              + " with:\n\n"
              + "    cp "
              + COMMITTED_CRD
              + " "
              + DeployFiles.CRD_DIR
              + "/\n");
    }
    for (Path variant : variants().toList()) {
      List<ObjectNode> crds = Kustomize.build(variant).ofKind("CustomResourceDefinition");
      assertThat(crds).as(variant + " installs the CRDs").hasSize(2);
      assertThat(crds).contains(DeployFiles.document(COMMITTED_CRD));
    }
  }

  @Test
  void kustomizationsListOnlyFilesThatExistInsideDeploy() {
    List<Path> dirs = DeployFiles.kustomizationDirs();
    assertThat(dirs)
        .contains(
            DeployFiles.CLUSTER_WIDE,
            DeployFiles.NAMESPACED,
            DeployFiles.CRD_DIR,
            DeployFiles.DEPLOY.resolve("base"),
            DeployFiles.IRSA,
            DeployFiles.STATIC_KEYS);
    for (Path dir : dirs) {
      ObjectNode k = DeployFiles.document(dir.resolve(DeployFiles.KUSTOMIZATION));
      Kustomize.kustomization(dir, DeployFiles.kind(k));
      for (String field : List.of("resources", "components", "patches")) {
        for (String entry : Kustomize.entries(k, field)) {
          Path resolved = Kustomize.resolve(dir, entry); // exists, inside deploy/
          if (field.equals("components")) {
            assertThat(Kustomize.kustomization(resolved, Kustomize.COMPONENT_KIND)).isNotNull();
          } else if (field.equals("patches")) {
            assertThat(resolved).isRegularFile();
          } else if (Files.isDirectory(resolved)) {
            assertThat(Kustomize.kustomization(resolved, Kustomize.KUSTOMIZATION_KIND)).isNotNull();
          }
        }
      }
    }
  }

  @Test
  void everyManifestIsRenderedBySomeKustomization() {
    Set<Path> rendered = new HashSet<>();
    for (Path dir : DeployFiles.kustomizationDirs()) {
      ObjectNode k = DeployFiles.document(dir.resolve(DeployFiles.KUSTOMIZATION));
      if (DeployFiles.kind(k).equals(Kustomize.COMPONENT_KIND)) {
        variants().forEach(v -> rendered.addAll(Kustomize.build(v, List.of(dir)).files()));
      } else {
        rendered.addAll(Kustomize.build(dir).files());
      }
    }
    List<Path> orphans =
        DeployFiles.yamlFiles().stream()
            .filter(f -> !rendered.contains(f) && !EXAMPLES_NOT_RENDERED.contains(f))
            .toList();
    assertThat(orphans).as("YAML files under deploy/ that no kustomization uses").isEmpty();
  }

  // --- both variants

  @ParameterizedTest
  @MethodSource("variants")
  void variantInstallsTheOperatorInItsNamespace(Path variant) {
    Kustomize.Build build = Kustomize.build(variant);
    Set<String> kinds = build.objects().stream().map(DeployFiles::kind).collect(Collectors.toSet());
    assertThat(kinds)
        .contains(
            "CustomResourceDefinition",
            "Namespace",
            "ServiceAccount",
            "Deployment",
            "Service",
            "Role",
            "RoleBinding");
    build.one("Namespace", "", OPERATOR_NAMESPACE);
    assertObjectsLiveInTheOperatorNamespace(build);
  }

  /**
   * A first apply works and allows no tenant that may not exist: the install ships no
   * LambdaInvocationPolicy (applied in the same apply as its CRD, a policy fails with "no matches
   * for kind" until the CRD is served).
   */
  @ParameterizedTest
  @MethodSource("variants")
  void variantShipsNoPolicy(Path variant) {
    assertThat(Kustomize.build(variant).ofKind("LambdaInvocationPolicy")).isEmpty();
  }

  /**
   * The policies kept beside the install (deploy/policies/, applied on their own) sync with Argo CD
   * even in the sync that installs the CRD: no dry run while the kind is unknown, and a wave after
   * the CRD's.
   */
  @Test
  void tenantPoliciesAreAppliedApartAndSyncAfterTheCrd() {
    List<ObjectNode> policies =
        Kustomize.build(DeployFiles.DEPLOY.resolve("policies")).ofKind("LambdaInvocationPolicy");
    assertThat(policies).isNotEmpty();
    for (ObjectNode policy : policies) {
      JsonNode annotations = policy.path("metadata").path("annotations");
      assertThat(annotations.path("argocd.argoproj.io/sync-options").asText())
          .as(DeployFiles.id(policy))
          .isEqualTo("SkipDryRunOnMissingResource=true");
      assertThat(Integer.parseInt(annotations.path("argocd.argoproj.io/sync-wave").asText("0")))
          .as(DeployFiles.id(policy) + ": after the CRD (wave 0)")
          .isPositive();
    }
  }

  /**
   * The ServiceAccount in the operator's namespace; every namespaced object sets its namespace,
   * which is the operator's but for the RBAC granting access to watched namespaces.
   */
  static void assertObjectsLiveInTheOperatorNamespace(Kustomize.Build build) {
    build.one("ServiceAccount", OPERATOR_NAMESPACE, OPERATOR_NAME);
    for (ObjectNode object : build.objects()) {
      HasMetadata typed = (HasMetadata) KubernetesModel.typed(object);
      if (typed instanceof Namespaced) {
        assertThat(DeployFiles.namespace(object))
            .as(DeployFiles.id(object) + " sets its namespace")
            .isNotEmpty();
      } else {
        assertThat(DeployFiles.namespace(object))
            .as(DeployFiles.id(object) + " is cluster-scoped")
            .isEmpty();
      }
    }
    // Everything but the RBAC granting access to watched namespaces lives in the operator's
    // namespace.
    assertThat(
            build.objects().stream()
                .filter(o -> !DeployFiles.namespace(o).isEmpty())
                .filter(o -> !Set.of("Role", "RoleBinding").contains(DeployFiles.kind(o))))
        .allMatch(o -> DeployFiles.namespace(o).equals(OPERATOR_NAMESPACE));
  }

  @ParameterizedTest
  @MethodSource("variants")
  void deploymentIsHighlyAvailableWithLeaderElection(Path variant) {
    assertHighlyAvailable(Kustomize.build(variant));
  }

  /** Two replicas with leader election in POD_NAMESPACE, a region, and a PodDisruptionBudget. */
  static void assertHighlyAvailable(Kustomize.Build build) {
    JsonNode deployment = operatorDeployment(build);
    JsonNode container = operatorContainer(build);
    assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(2);
    assertThat(envValue(container, OperatorConfig.LEADER_ELECTION))
        .isNotEqualTo(Optional.of("false"));
    JsonNode podNamespace =
        envVar(container, OperatorConfig.POD_NAMESPACE)
            .orElseThrow(() -> new AssertionError("no " + OperatorConfig.POD_NAMESPACE + " env"));
    assertThat(podNamespace.path("valueFrom").path("fieldRef").path("fieldPath").asText())
        .as("POD_NAMESPACE from the downward API")
        .isEqualTo("metadata.namespace");
    assertThat(podNamespace.has("value")).isFalse();
    assertThat(envValue(container, "AWS_REGION"))
        .hasValueSatisfying(r -> assertThat(r).matches("[a-z]{2}(-[a-z]+)+-\\d"));
    JsonNode pdb = build.one("PodDisruptionBudget", OPERATOR_NAMESPACE, OPERATOR_NAME);
    assertThat(pdb.path("spec").path("selector").path("matchLabels"))
        .isEqualTo(deployment.path("spec").path("selector").path("matchLabels"));
    assertThat(pdb.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
  }

  @ParameterizedTest
  @MethodSource("variants")
  void deploymentIsHardened(Path variant) {
    Kustomize.Build build = Kustomize.build(variant);
    assertHardened(build);
    // Pod Security "restricted" is enforced on the namespace, which the pod satisfies.
    assertThat(
            build
                .one("Namespace", "", OPERATOR_NAMESPACE)
                .path("metadata")
                .path("labels")
                .path("pod-security.kubernetes.io/enforce")
                .asText())
        .isEqualTo("restricted");
  }

  /** The pod meets Pod Security "restricted", with a read-only root and only /tmp writable. */
  static void assertHardened(Kustomize.Build build) {
    JsonNode pod = podSpec(build);
    JsonNode container = operatorContainer(build);
    assertThat(effective(pod, container, "runAsNonRoot").asBoolean()).as("runAsNonRoot").isTrue();
    assertThat(effective(pod, container, "runAsUser").asLong()).as("runAsUser").isEqualTo(65532);
    assertThat(effective(pod, container, "seccompProfile").path("type").asText())
        .isEqualTo("RuntimeDefault");
    JsonNode securityContext = container.path("securityContext");
    assertThat(securityContext.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(securityContext.path("allowPrivilegeEscalation").isBoolean()).isTrue();
    assertThat(securityContext.path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(securityContext.path("privileged").asBoolean(false)).isFalse();
    assertThat(strings(securityContext.path("capabilities").path("drop"))).containsExactly("ALL");
    assertThat(securityContext.path("capabilities").has("add")).isFalse();
    assertThat(pod.path("hostNetwork").asBoolean(false)).isFalse();
    assertThat(pod.path("automountServiceAccountToken").asBoolean()).isTrue();
    assertThat(pod.path("serviceAccountName").asText()).isEqualTo(OPERATOR_NAME);
    assertThat(emptyDirMounts(build)).contains("/tmp");
    assertThat(container.path("image").asText())
        .isEqualTo("ghcr.io/example/lambda-invocation-operator:0.1.0");
  }

  @ParameterizedTest
  @MethodSource("variants")
  void deploymentHasProbesOnTheHttpPortAndResources(Path variant) {
    assertProbesAndResources(Kustomize.build(variant));
  }

  static void assertProbesAndResources(Kustomize.Build build) {
    JsonNode container = operatorContainer(build);
    int port =
        Integer.parseInt(
            envValue(container, OperatorConfig.HTTP_PORT)
                .orElse(String.valueOf(OperatorConfig.DEFAULT_HTTP_PORT)));
    Map<String, String> paths =
        Map.of("livenessProbe", "/livez", "readinessProbe", "/readyz", "startupProbe", "/livez");
    paths.forEach(
        (probe, path) -> {
          JsonNode get = container.path(probe).path("httpGet");
          assertThat(get.path("path").asText()).as(probe).isEqualTo(path);
          assertThat(containerPort(container, get.path("port")))
              .as(probe + " port")
              .isEqualTo(port);
        });
    JsonNode resources = container.path("resources");
    assertThat(resources.path("requests").path("cpu").asText()).isEqualTo("100m");
    assertThat(resources.path("requests").path("memory").asText()).isEqualTo("256Mi");
    assertThat(resources.path("limits").path("memory").asText()).isEqualTo("512Mi");
    assertThat(resources.path("limits").has("cpu"))
        .as("no CPU limit (throttling slows the JVM)")
        .isFalse();
  }

  @ParameterizedTest
  @MethodSource("variants")
  void metricsServiceSelectsTheOperatorPodsOnTheHttpPort(Path variant) {
    assertMetricsService(Kustomize.build(variant));
  }

  static void assertMetricsService(Kustomize.Build build) {
    JsonNode container = operatorContainer(build);
    JsonNode service =
        build.ofKind("Service").stream()
            .filter(
                s ->
                    StreamSupport.stream(s.path("spec").path("ports").spliterator(), false)
                        .anyMatch(p -> p.path("name").asText().equals("http-metrics")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no Service with a port named http-metrics"));
    JsonNode labels =
        operatorDeployment(build).path("spec").path("template").path("metadata").path("labels");
    service
        .path("spec")
        .path("selector")
        .fields()
        .forEachRemaining(
            e ->
                assertThat(labels.path(e.getKey()).asText())
                    .as("pod label " + e.getKey())
                    .isEqualTo(e.getValue().asText()));
    assertThat(service.path("spec").path("selector").size()).isPositive();
    JsonNode port = service.path("spec").path("ports").get(0);
    int containerPort = containerPort(container, port.path("targetPort"));
    assertThat(containerPort).isEqualTo(OperatorConfig.DEFAULT_HTTP_PORT);
    JsonNode annotations = service.path("metadata").path("annotations");
    assertThat(annotations.path("prometheus.io/scrape").asText()).isEqualTo("true");
    assertThat(annotations.path("prometheus.io/port").asText())
        .isEqualTo(port.path("port").asText());
    assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo("/metrics");
  }

  // --- RBAC

  @Test
  void noRbacRuleUsesAWildcard() {
    List<String> wildcards = new ArrayList<>();
    int rules = 0;
    for (Path file : DeployFiles.yamlFiles()) {
      for (ObjectNode doc : DeployFiles.documents(file)) {
        rules += doc.path("rules").size();
        wildcards(doc).forEach(w -> wildcards.add(file + " " + w));
      }
    }
    assertThat(rules).isPositive();
    assertThat(wildcards).isEmpty();
  }

  /**
   * The wildcards in a Role's or ClusterRole's rules (none for other objects); fails on an
   * aggregationRule or nonResourceURLs.
   */
  static List<String> wildcards(ObjectNode doc) {
    List<String> wildcards = new ArrayList<>();
    if (!Set.of("Role", "ClusterRole").contains(DeployFiles.kind(doc))) {
      return wildcards;
    }
    assertThat(doc.has("aggregationRule")).as(DeployFiles.id(doc) + " aggregates").isFalse();
    for (JsonNode rule : doc.path("rules")) {
      for (String field :
          List.of("verbs", "resources", "apiGroups", "resourceNames", "nonResourceURLs")) {
        strings(rule.path(field)).stream()
            .filter(v -> v.contains("*"))
            .forEach(v -> wildcards.add(DeployFiles.id(doc) + " " + field + ": " + v));
      }
      assertThat(rule.has("nonResourceURLs"))
          .as(DeployFiles.id(doc) + " nonResourceURLs")
          .isFalse();
    }
    return wildcards;
  }

  @Test
  void clusterWideRbacIsInOneFile() {
    List<String> ids =
        DeployFiles.documents(DeployFiles.CLUSTER_RBAC).stream().map(DeployFiles::id).toList();
    assertThat(ids)
        .containsExactlyInAnyOrder(
            "ClusterRole/" + OPERATOR_NAME,
            "ClusterRoleBinding/" + OPERATOR_NAME,
            "Role/" + OPERATOR_NAMESPACE + "/" + OPERATOR_NAME + "-leader-election",
            "RoleBinding/" + OPERATOR_NAMESPACE + "/" + OPERATOR_NAME + "-leader-election",
            "ClusterRole/" + POLICIES_ROLE,
            "ClusterRoleBinding/" + POLICIES_ROLE);
    Kustomize.Build build = Kustomize.build(DeployFiles.CLUSTER_WIDE);
    Set<String> rbacKinds = Set.of("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding");
    assertThat(
            build.objects().stream()
                .filter(o -> rbacKinds.contains(DeployFiles.kind(o)))
                .map(DeployFiles::id))
        .as("the cluster-wide install's RBAC is deploy/rbac.yaml, all of it")
        .containsExactlyInAnyOrderElementsOf(ids);
  }

  @ParameterizedTest
  @MethodSource("variants")
  void bindingsGrantExistingRolesToTheOperatorServiceAccountOnly(Path variant) {
    assertBindingsGrantExistingRolesToTheOperatorOnly(Kustomize.build(variant));
  }

  static void assertBindingsGrantExistingRolesToTheOperatorOnly(Kustomize.Build build) {
    for (String kind : List.of("RoleBinding", "ClusterRoleBinding")) {
      for (ObjectNode binding : build.ofKind(kind)) {
        JsonNode roleRef = binding.path("roleRef");
        assertThat(roleRef.path("apiGroup").asText()).isEqualTo("rbac.authorization.k8s.io");
        String roleNamespace =
            roleRef.path("kind").asText().equals("Role") ? DeployFiles.namespace(binding) : "";
        build.one(roleRef.path("kind").asText(), roleNamespace, roleRef.path("name").asText());
        assertThat(binding.path("subjects")).as(DeployFiles.id(binding)).hasSize(1);
        JsonNode subject = binding.path("subjects").get(0);
        assertThat(subject.path("kind").asText()).isEqualTo("ServiceAccount");
        assertThat(subject.path("name").asText())
            .isEqualTo(
                operatorDeployment(build)
                    .path("spec")
                    .path("template")
                    .path("spec")
                    .path("serviceAccountName")
                    .asText());
        assertThat(subject.path("namespace").asText()).isEqualTo(OPERATOR_NAMESPACE);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("variants")
  void leaderElectionMayUseItsLeaseInTheOperatorNamespace(Path variant) {
    assertLeaderElectionMayUseItsLease(Kustomize.build(variant));
  }

  static void assertLeaderElectionMayUseItsLease(Kustomize.Build build) {
    // On the Lease, in POD_NAMESPACE (the Deployment's namespace), by a Role bound to the
    // ServiceAccount:
    // get, create and update, which java-operator-sdk's LeaderElectionManager checks for at startup
    // (else it does not start), and patch, which fabric8's LeaderElector renews the Lease with.
    assertThat(leaseVerbs(build, OperatorConfig.LEASE_NAME))
        .containsExactlyInAnyOrder("get", "create", "update", "patch");
    assertThat(DeployFiles.namespace(operatorDeployment(build))).isEqualTo(OPERATOR_NAMESPACE);
  }

  /**
   * The verbs on the Lease named lease in the operator's namespace that the Roles bound there
   * grant.
   */
  static Set<String> leaseVerbs(Kustomize.Build build, String lease) {
    Set<String> verbs = new TreeSet<>();
    for (ObjectNode binding : build.ofKind("RoleBinding")) {
      if (!DeployFiles.namespace(binding).equals(OPERATOR_NAMESPACE)) {
        continue;
      }
      JsonNode role =
          build.one("Role", OPERATOR_NAMESPACE, binding.path("roleRef").path("name").asText());
      for (JsonNode rule : role.path("rules")) {
        List<String> names = strings(rule.path("resourceNames"));
        if (strings(rule.path("apiGroups")).contains("coordination.k8s.io")
            && strings(rule.path("resources")).contains("leases")
            && (names.isEmpty() || names.contains(lease))) {
          verbs.addAll(strings(rule.path("verbs")));
        }
      }
    }
    return verbs;
  }

  @Test
  void clusterRoleCoversTheOperatorsResourcesOfTheCrd() {
    JsonNode crd = DeployFiles.document(COMMITTED_CRD);
    String group = crd.path("spec").path("group").asText();
    String plural = crd.path("spec").path("names").path("plural").asText();
    JsonNode clusterRole =
        Kustomize.build(DeployFiles.CLUSTER_WIDE).one("ClusterRole", "", OPERATOR_NAME);
    assertThat(grants(clusterRole.path("rules")))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                group + "/" + plural,
                // patch (and get after a conflict): the finalizer of spec.onDelete
                Set.of("get", "list", "watch", "patch"),
                group + "/" + plural + "/status",
                Set.of("update"),
                group + "/" + plural + "/finalizers",
                Set.of("update"),
                "/secrets",
                Set.of("get", "list", "watch", "create", "update", "delete"),
                // spec.payloadFrom's inputs
                "/configmaps",
                Set.of("get", "list", "watch"),
                // a repeat of an Event is counted on it by a patch
                "/events",
                Set.of("create", "patch"),
                "apps/deployments",
                Set.of("patch"),
                "apps/statefulsets",
                Set.of("patch"),
                "apps/daemonsets",
                Set.of("patch"),
                // whether a resource's namespace is being deleted (spec.onDelete's retries)
                "/namespaces",
                Set.of("get")));
  }

  @Test
  void namespacedVariantWatchesChosenNamespacesWithRolesOnly() {
    assertWatchesChosenNamespacesWithRolesOnly(Kustomize.build(DeployFiles.NAMESPACED));
    assertThat(
            envValue(
                    operatorContainer(Kustomize.build(DeployFiles.CLUSTER_WIDE)),
                    OperatorConfig.WATCH_NAMESPACES)
                .orElse(""))
        .as("the cluster-wide install watches all namespaces")
        .isBlank();
  }

  /**
   * WATCH_NAMESPACES is set, and each of its namespaces, and only those, has a Role with the
   * cluster-wide ClusterRole's rules, bound to the operator; the one ClusterRole reads policies and
   * namespaces (cluster-scoped, so only a ClusterRole can grant them) and nothing on Secrets.
   */
  static void assertWatchesChosenNamespacesWithRolesOnly(Kustomize.Build build) {
    assertThat(build.ofKind("ClusterRole")).hasSize(1);
    assertThat(build.ofKind("ClusterRoleBinding")).hasSize(1);
    JsonNode policiesRole = build.ofKind("ClusterRole").get(0);
    assertThat(policiesRole.path("rules"))
        .isEqualTo(
            Kustomize.build(DeployFiles.CLUSTER_WIDE)
                .one("ClusterRole", "", POLICIES_ROLE)
                .path("rules"));
    assertThat(grants(policiesRole.path("rules")).keySet())
        .containsExactlyInAnyOrder(
            "lambda.ephemeral.dev/lambdainvocationpolicies",
            "lambda.ephemeral.dev/lambdainvocationpolicies/status",
            "/namespaces");

    String watched =
        envValue(operatorContainer(build), OperatorConfig.WATCH_NAMESPACES)
            .orElseThrow(
                () -> new AssertionError("the namespaced variant must set WATCH_NAMESPACES"));
    Set<String> namespaces =
        Stream.of(watched.split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(namespaces).isNotEmpty().doesNotContain(OPERATOR_NAMESPACE);

    // In each watched namespace, and only there, a Role with the ClusterRole's rules, bound to the
    // operator.
    Map<String, Set<String>> clusterGrants =
        grants(
            Kustomize.build(DeployFiles.CLUSTER_WIDE)
                .one("ClusterRole", "", OPERATOR_NAME)
                .path("rules"));
    Set<String> namespacesWithGrants = new TreeSet<>();
    for (ObjectNode binding : build.ofKind("RoleBinding")) {
      String namespace = DeployFiles.namespace(binding);
      JsonNode role = build.one("Role", namespace, binding.path("roleRef").path("name").asText());
      if (namespace.equals(OPERATOR_NAMESPACE)) {
        assertThat(grants(role.path("rules")).keySet())
            .as("the operator's own namespace: the Lease and the data-hash key only")
            .containsExactlyInAnyOrder("coordination.k8s.io/leases", "/secrets");
        continue;
      }
      namespacesWithGrants.add(namespace);
      assertThat(grants(role.path("rules"))).as("Role in " + namespace).isEqualTo(clusterGrants);
    }
    assertThat(namespacesWithGrants).isEqualTo(namespaces);
    for (ObjectNode role : build.ofKind("Role")) {
      assertThat(
              build.ofKind("RoleBinding").stream()
                  .anyMatch(
                      b ->
                          DeployFiles.namespace(b).equals(DeployFiles.namespace(role))
                              && b.path("roleRef")
                                  .path("name")
                                  .asText()
                                  .equals(DeployFiles.name(role))))
          .as(DeployFiles.id(role) + " is bound")
          .isTrue();
    }
  }

  @Test
  void bothVariantsGrantTheSameLeaderElectionRole() {
    String name = OPERATOR_NAME + "-leader-election";
    JsonNode clusterWide =
        Kustomize.build(DeployFiles.CLUSTER_WIDE).one("Role", OPERATOR_NAMESPACE, name);
    JsonNode namespaced =
        Kustomize.build(DeployFiles.NAMESPACED).one("Role", OPERATOR_NAMESPACE, name);
    assertThat(namespaced.path("rules")).isEqualTo(clusterWide.path("rules"));
  }

  // --- AWS credentials

  @Test
  void awsCredentialComponentsApplyToBothVariants() {
    assertThat(components()).contains(DeployFiles.IRSA, DeployFiles.STATIC_KEYS);
    for (Path variant : variants().toList()) {
      for (Path component : components().toList()) {
        Kustomize.Build build =
            Kustomize.build(variant, List.of(component)); // every patch finds its target
        assertThat(build.objects()).hasSameSizeAs(Kustomize.build(variant).objects());
      }
    }
  }

  @Test
  void irsaAnnotatesTheOperatorServiceAccountWithARoleArn() {
    for (Path variant : variants().toList()) {
      assertThat(
              Kustomize.build(variant)
                  .one("ServiceAccount", OPERATOR_NAMESPACE, OPERATOR_NAME)
                  .path("metadata")
                  .has("annotations"))
          .isFalse();
      JsonNode sa =
          Kustomize.build(variant, List.of(DeployFiles.IRSA))
              .one("ServiceAccount", OPERATOR_NAMESPACE, OPERATOR_NAME);
      assertThat(
              sa.path("metadata").path("annotations").path("eks.amazonaws.com/role-arn").asText())
          .matches("arn:aws:iam::\\d{12}:role/.+");
      assertThat(sa.path("automountServiceAccountToken").asBoolean()).isTrue();
    }
  }

  @Test
  void staticKeysComeFromTheExampleSecretThroughEnvFrom() {
    ObjectNode secret = DeployFiles.document(DeployFiles.STATIC_KEYS_SECRET);
    assertThat(DeployFiles.kind(secret)).isEqualTo("Secret");
    assertThat(DeployFiles.namespace(secret)).isEqualTo(OPERATOR_NAMESPACE);
    Set<String> keys = new TreeSet<>();
    secret.path("stringData").fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactly("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
    for (Path variant : variants().toList()) {
      JsonNode container =
          operatorContainer(Kustomize.build(variant, List.of(DeployFiles.STATIC_KEYS)));
      assertThat(container.path("envFrom")).hasSize(1);
      assertThat(container.path("envFrom").get(0).path("secretRef").path("name").asText())
          .isEqualTo(DeployFiles.name(secret));
      assertThat(
              container.path("envFrom").get(0).path("secretRef").path("optional").asBoolean(false))
          .isFalse();
      // The patch adds envFrom and keeps the Deployment's env.
      assertThat(envVar(container, OperatorConfig.POD_NAMESPACE)).isPresent();
    }
  }

  // --- helpers, also used by DockerfileTest

  static JsonNode operatorDeployment(Kustomize.Build build) {
    return build.one("Deployment", OPERATOR_NAMESPACE, OPERATOR_NAME);
  }

  static JsonNode podSpec(Kustomize.Build build) {
    return operatorDeployment(build).path("spec").path("template").path("spec");
  }

  static JsonNode operatorContainer(Kustomize.Build build) {
    JsonNode containers = podSpec(build).path("containers");
    assertThat(containers).as("containers").hasSize(1);
    assertThat(containers.get(0).path("name").asText()).isEqualTo(CONTAINER_NAME);
    return containers.get(0);
  }

  static Optional<JsonNode> envVar(JsonNode container, String name) {
    for (JsonNode env : container.path("env")) {
      if (env.path("name").asText().equals(name)) {
        return Optional.of(env);
      }
    }
    return Optional.empty();
  }

  static Optional<String> envValue(JsonNode container, String name) {
    return envVar(container, name).filter(e -> e.has("value")).map(e -> e.path("value").asText());
  }

  /** A port given by number or by the name of one of the container's ports. */
  static int containerPort(JsonNode container, JsonNode port) {
    if (port.isInt()) {
      return port.asInt();
    }
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(port.asText())) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no container port named " + port);
  }

  /** Mount paths of the operator container that are emptyDir volumes. */
  static Set<String> emptyDirMounts(Kustomize.Build build) {
    JsonNode pod = podSpec(build);
    Set<String> emptyDirs = new HashSet<>();
    for (JsonNode volume : pod.path("volumes")) {
      if (volume.has("emptyDir")) {
        emptyDirs.add(volume.path("name").asText());
      }
    }
    Set<String> mounts = new LinkedHashSet<>();
    for (JsonNode mount : operatorContainer(build).path("volumeMounts")) {
      if (emptyDirs.contains(mount.path("name").asText())
          && !mount.path("readOnly").asBoolean(false)) {
        mounts.add(mount.path("mountPath").asText());
      }
    }
    return mounts;
  }

  /** A securityContext field of the container, or else of the pod. */
  private static JsonNode effective(JsonNode pod, JsonNode container, String field) {
    JsonNode own = container.path("securityContext").path(field);
    return own.isMissingNode() ? pod.path("securityContext").path(field) : own;
  }

  static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }

  /** "group/resource[/subresource]" to verbs, over all rules (resourceNames ignored). */
  static Map<String, Set<String>> grants(JsonNode rules) {
    Map<String, Set<String>> grants = new TreeMap<>();
    for (JsonNode rule : rules) {
      for (String group : strings(rule.path("apiGroups"))) {
        for (String resource : strings(rule.path("resources"))) {
          grants
              .computeIfAbsent(group + "/" + resource, k -> new TreeSet<>())
              .addAll(strings(rule.path("verbs")));
        }
      }
    }
    return grants;
  }
}
