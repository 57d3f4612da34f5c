package dev.ephemeral.lambda.deploy;

import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAME;
import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAMESPACE;
import static dev.ephemeral.lambda.deploy.HelmChartTest.template;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ephemeral.lambda.config.OperatorConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart's value shards: one more operator instance per entry, as deploy/shards/blue/ adds one
 * to deploy/ (the same checks, {@link ShardOverlayTest#assertShardBesideTheOperator}).
 */
class HelmChartShardsTest {

  static final Map<String, Object> BLUE = Map.of("shards", List.of(Map.of("name", "blue")));

  @Test
  void aShardIsASecondInstanceWithItsOwnPodsLeaseAndBudget() {
    Kustomize.Build build = template(BLUE);
    assertThat(build.ofKind("Deployment"))
        .extracting(DeployFiles::name)
        .containsExactly(OPERATOR_NAME, OPERATOR_NAME + "-blue");
    assertThat(build.ofKind("PodDisruptionBudget"))
        .extracting(DeployFiles::name)
        .containsExactly(OPERATOR_NAME, OPERATOR_NAME + "-blue");
    ShardOverlayTest.assertShardBesideTheOperator(build, OPERATOR_NAME + "-blue", "blue");
    // The instance without a shard is still the one deploy/ installs.
    DeployManifestsTest.assertHighlyAvailable(build);
    DeployManifestsTest.assertHardened(build);
    DeployManifestsTest.assertMetricsService(build);
    DeployManifestsTest.assertLeaderElectionMayUseItsLease(build);
    for (JsonNode object : build.objects()) {
      assertThat(KubernetesModel.unknownFields(KubernetesModel.typed(object)))
          .as(DeployFiles.id(object))
          .isEmpty();
    }
  }

  @Test
  void oneMetricsServiceAndServiceMonitorCoverEveryInstance() {
    Kustomize.Build build =
        template(List.of(HelmChart.MONITORING_VALUES), Map.of("shards", BLUE.get("shards")));
    assertThat(build.ofKind("Service")).hasSize(1);
    JsonNode service = build.ofKind("Service").get(0);
    for (JsonNode deployment : build.ofKind("Deployment")) {
      assertThat(
              ShardOverlayTest.selects(
                  service.path("spec").path("selector"),
                  deployment.path("spec").path("template").path("metadata").path("labels")))
          .as(DeployFiles.id(deployment) + "'s pods are scraped")
          .isTrue();
    }
    JsonNode monitor = build.ofKind("ServiceMonitor").get(0);
    assertThat(
            ShardOverlayTest.selects(
                monitor.path("spec").path("selector").path("matchLabels"),
                service.path("metadata").path("labels")))
        .as("the ServiceMonitor selects the metrics Service")
        .isTrue();
  }

  @Test
  void aShardRunsTheChartsReplicaCountUnlessItSetsItsOwnAndSpreadsItsOwnPods() {
    Kustomize.Build build =
        template(
            Map.of(
                "replicaCount",
                3,
                "topologySpreadConstraints",
                List.of(
                    Map.of(
                        "maxSkew", 1,
                        "topologyKey", "topology.kubernetes.io/zone",
                        "whenUnsatisfiable", "ScheduleAnyway")),
                "shards",
                List.of(Map.of("name", "blue"), Map.of("name", "green", "replicaCount", 1))));
    assertThat(build.ofKind("Deployment"))
        .extracting(d -> DeployFiles.name(d) + "=" + d.path("spec").path("replicas").asInt())
        .containsExactly(
            OPERATOR_NAME + "=3", OPERATOR_NAME + "-blue=3", OPERATOR_NAME + "-green=1");
    // Checks that each constraint counts its own instance's pods only.
    ShardOverlayTest.assertShardBesideTheOperator(build, OPERATOR_NAME + "-blue", "blue");
    assertThat(
            build
                .one("Deployment", OPERATOR_NAMESPACE, OPERATOR_NAME + "-green")
                .path("spec")
                .path("template")
                .path("spec")
                .path("topologySpreadConstraints"))
        .hasSize(1);
  }

  @Test
  void withoutLeaderElectionEveryShardNeedsOneReplica() {
    assertThatThrownBy(
            () ->
                template(
                    Map.of(
                        "leaderElection",
                        false,
                        "replicaCount",
                        1,
                        "shards",
                        List.of(Map.of("name", "blue", "replicaCount", 2)))))
        .hasMessageContaining("replicaCount: 1")
        .hasMessageContaining("blue");
    Kustomize.Build build =
        template(Map.of("leaderElection", false, "replicaCount", 1, "shards", BLUE.get("shards")));
    assertThat(build.ofKind("Deployment"))
        .allSatisfy(d -> assertThat(d.path("spec").path("replicas").asInt()).isEqualTo(1));
    assertThat(DeployManifestsTest.leaseVerbs(build, OperatorConfig.LEASE_NAME + "-blue"))
        .isEmpty();
  }

  @Test
  void anotherReleaseNamesTheShardAfterItButKeepsTheFixedLeaseName() {
    Kustomize.Build build = HelmChart.template("ops", "tools", List.of(), BLUE);
    JsonNode shard = build.one("Deployment", "tools", "ops-lambda-invocation-operator-blue");
    assertThat(
            DeployManifestsTest.envValue(
                shard.path("spec").path("template").path("spec").path("containers").get(0),
                OperatorConfig.SHARD))
        .hasValue("blue");
    JsonNode role = build.one("Role", "tools", "ops-lambda-invocation-operator-leader-election");
    assertThat(role.path("rules"))
        .anySatisfy(
            rule ->
                assertThat(DeployManifestsTest.strings(rule.path("resourceNames")))
                    .containsExactly(
                        OperatorConfig.LEASE_NAME, OperatorConfig.LEASE_NAME + "-blue"));
  }

  @Test
  void notesNameTheShardsAndHowToWaitForThem() {
    String notes =
        HelmChart.notes(
            OPERATOR_NAME,
            OPERATOR_NAMESPACE,
            Map.of("shards", List.of(Map.of("name", "blue"), Map.of("name", "green"))));
    assertThat(notes)
        .contains("shard takes those labelled with its name: blue, green.")
        .contains(
            "kubectl -n "
                + OPERATOR_NAMESPACE
                + " rollout status deployment/"
                + OPERATOR_NAME
                + "\n")
        .contains(
            "kubectl -n "
                + OPERATOR_NAMESPACE
                + " rollout status deployment/"
                + OPERATOR_NAME
                + "-green\n");
  }

  @Test
  void withoutABudgetNoShardHasOne() {
    Kustomize.Build build =
        template(
            Map.of("podDisruptionBudget", Map.of("enabled", false), "shards", BLUE.get("shards")));
    assertThat(build.ofKind("PodDisruptionBudget")).isEmpty();
  }

  @Test
  void shardNamesAreDnsLabelsShortEnoughForThePodLabelAndUnique() {
    for (String bad : List.of("Blue", "-blue", "blue-", "blue_green", "", "a".repeat(37))) {
      assertThatThrownBy(() -> template(Map.of("shards", List.of(Map.of("name", bad)))))
          .as("shard name " + bad)
          .hasMessageContaining("shards");
    }
    assertThat(
            template(Map.of("shards", List.of(Map.of("name", "a".repeat(36)))))
                .ofKind("Deployment"))
        .hasSize(2);
    assertThatThrownBy(
            () ->
                template(
                    Map.of(
                        "shards",
                        List.of(
                            Map.of("name", "blue"), Map.of("name", "blue", "replicaCount", 1)))))
        .hasMessageContaining("\"blue\" is listed twice");
    assertThatThrownBy(() -> template(Map.of("shards", List.of(Map.of("replicaCount", 1)))))
        .hasMessageContaining("name");
    assertThatThrownBy(
            () -> template(Map.of("shards", List.of(Map.of("name", "blue", "replicas", 1)))))
        .hasMessageContaining("replicas");
    assertThatThrownBy(
            () ->
                template(
                    Map.of(
                        "nameOverride",
                        "lambda-invocation-operator-with-a-longer-name",
                        "shards",
                        List.of(Map.of("name", "a".repeat(30))))))
        .hasMessageContaining("over 63 characters");
  }
}
