package dev.ephemeral.lambda.deploy;

import static dev.ephemeral.lambda.deploy.DeployFiles.CONTAINER_NAME;
import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAME;
import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAMESPACE;
import static dev.ephemeral.lambda.deploy.DeployManifestsTest.envValue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.model.Shard;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/shards/blue/ (and blue-namespaced/), the example shard of deploy/shards/README.md, applied
 * beside the install of deploy/ (and deploy/namespaced/): a second operator instance with
 * SHARD=blue whose pods no other Deployment, PodDisruptionBudget or metrics Service of the other
 * instance selects (nor the other way round), allowed its own Lease, and otherwise the same
 * Deployment as deploy/base's. The static checks ({@link #assertShardBesideTheOperator}) run on the
 * Helm chart's shards too ({@link HelmChartShardsTest}).
 */
class ShardOverlayTest {

  static final Path BLUE = DeployFiles.DEPLOY.resolve("shards").resolve("blue");
  static final Path BLUE_NAMESPACED =
      DeployFiles.DEPLOY.resolve("shards").resolve("blue-namespaced");
  static final String SHARD = "blue";

  /** The install of variant plus its shard overlay, as applying both would create. */
  static Kustomize.Build installWithShard(Path variant) {
    Kustomize.Build install = Kustomize.build(variant);
    Kustomize.Build shard =
        Kustomize.build(variant.equals(DeployFiles.NAMESPACED) ? BLUE_NAMESPACED : BLUE);
    List<ObjectNode> objects = new ArrayList<>(install.objects());
    objects.addAll(shard.objects());
    Set<Path> files = new LinkedHashSet<>(install.files());
    files.addAll(shard.files());
    return new Kustomize.Build(objects, files);
  }

  @ParameterizedTest
  @MethodSource("dev.ephemeral.lambda.deploy.DeployManifestsTest#variants")
  void blueOverlayAddsAShardBesideEitherInstall(Path variant) {
    Kustomize.Build build = installWithShard(variant);
    assertShardBesideTheOperator(build, OPERATOR_NAME + "-" + SHARD, SHARD);
    DeployManifestsTest.assertObjectsLiveInTheOperatorNamespace(build);
    DeployManifestsTest.assertBindingsGrantExistingRolesToTheOperatorOnly(build);
  }

  @Test
  void blueOverlayIsNotPartOfTheDefaultInstalls() {
    DeployManifestsTest.variants()
        .forEach(
            variant ->
                assertThat(Kustomize.build(variant).ofKind("Deployment"))
                    .as(variant + " runs the operator without a shard only")
                    .extracting(DeployFiles::name)
                    .containsExactly(OPERATOR_NAME));
  }

  @Test
  void blueOverlayPassesTheUnknownFieldCheck() {
    for (ObjectNode object : Kustomize.build(BLUE_NAMESPACED).objects()) {
      assertThat(KubernetesModel.unknownFields(KubernetesModel.typed(object)))
          .as(DeployFiles.id(object))
          .isEmpty();
    }
  }

  /**
   * The operator's Deployment and shardDeployment (which takes shard) run side by side: SHARD set
   * on the shard's only; each Deployment's selector, anti-affinity and topology spread, and a
   * PodDisruptionBudget and a metrics Service, select its own pods and never the other's; a Role
   * bound in the operator's namespace allows each its own Lease; and but for its name, its label
   * app.kubernetes.io/name and SHARD, the shard's Deployment is the operator's.
   */
  static void assertShardBesideTheOperator(
      Kustomize.Build build, String shardDeployment, String shard) {
    JsonNode main = build.one("Deployment", OPERATOR_NAMESPACE, OPERATOR_NAME);
    JsonNode sharded = build.one("Deployment", OPERATOR_NAMESPACE, shardDeployment);
    assertThat(envValue(container(main), OperatorConfig.SHARD))
        .as("the operator's SHARD")
        .isEmpty();
    assertThat(envValue(container(sharded), OperatorConfig.SHARD)).hasValue(shard);

    for (JsonNode own : List.of(main, sharded)) {
      JsonNode other = own == main ? sharded : main;
      String id = DeployFiles.id(own);
      JsonNode selector = own.path("spec").path("selector").path("matchLabels");
      assertThat(own.path("spec").path("selector").has("matchExpressions")).isFalse();
      assertThat(selects(selector, podLabels(own))).as(id + " selects its pods").isTrue();
      assertThat(selects(selector, podLabels(other)))
          .as(id + " must not select the pods of " + DeployFiles.id(other))
          .isFalse();
      JsonNode podSpec = own.path("spec").path("template").path("spec");
      for (JsonNode term :
          podSpec
              .path("affinity")
              .path("podAntiAffinity")
              .path("preferredDuringSchedulingIgnoredDuringExecution")) {
        assertThat(term.path("podAffinityTerm").path("labelSelector").path("matchLabels"))
            .as(id + ": anti-affinity among its own pods")
            .isEqualTo(selector);
      }
      for (JsonNode constraint : podSpec.path("topologySpreadConstraints")) {
        assertThat(constraint.path("labelSelector").path("matchLabels"))
            .as(id + ": topology spread of its own pods")
            .isEqualTo(selector);
      }
      assertThat(
              build.ofKind("PodDisruptionBudget").stream()
                  .map(p -> p.path("spec").path("selector").path("matchLabels"))
                  .filter(s -> selects(s, podLabels(own)))
                  .toList())
          .as(id + ": one PodDisruptionBudget, of its own pods only")
          .singleElement()
          .isEqualTo(selector);
      assertThat(
              build.ofKind("Service").stream()
                  .filter(ShardOverlayTest::servesMetrics)
                  .anyMatch(s -> selects(s.path("spec").path("selector"), podLabels(own))))
          .as(id + ": a metrics Service scrapes its pods")
          .isTrue();
    }

    String lease = Shard.named(shard).leaseName(OperatorConfig.LEASE_NAME);
    for (String name : List.of(OperatorConfig.LEASE_NAME, lease)) {
      assertThat(DeployManifestsTest.leaseVerbs(build, name))
          .as("the Roles' verbs on the Lease " + name)
          .containsExactlyInAnyOrder("get", "create", "update", "patch");
    }

    assertThat(asMain(sharded, OPERATOR_NAME + "-" + shard))
        .as("the shard's Deployment but for its name, app.kubernetes.io/name and SHARD")
        .isEqualTo(main);
  }

  /** A copy of the shard's Deployment with the operator's name and labels, and no SHARD. */
  private static JsonNode asMain(JsonNode sharded, String shardName) {
    String json = sharded.toString().replace('"' + shardName + '"', '"' + OPERATOR_NAME + '"');
    ObjectNode copy;
    try {
      copy = (ObjectNode) DeployFiles.YAML.readTree(json);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    ArrayNode env =
        (ArrayNode)
            copy.path("spec").path("template").path("spec").path("containers").get(0).path("env");
    for (int i = env.size() - 1; i >= 0; i--) {
      if (env.get(i).path("name").asText().equals(OperatorConfig.SHARD)) {
        env.remove(i);
      }
    }
    return copy;
  }

  private static JsonNode container(JsonNode deployment) {
    JsonNode containers = deployment.path("spec").path("template").path("spec").path("containers");
    assertThat(containers).as(DeployFiles.id(deployment) + " containers").hasSize(1);
    assertThat(containers.get(0).path("name").asText()).isEqualTo(CONTAINER_NAME);
    return containers.get(0);
  }

  private static JsonNode podLabels(JsonNode deployment) {
    return deployment.path("spec").path("template").path("metadata").path("labels");
  }

  private static boolean servesMetrics(JsonNode service) {
    return StreamSupport.stream(service.path("spec").path("ports").spliterator(), false)
        .anyMatch(p -> p.path("name").asText().equals("http-metrics"));
  }

  /** Whether matchLabels (never empty) select a pod with these labels. */
  static boolean selects(JsonNode matchLabels, JsonNode labels) {
    assertThat(matchLabels.size()).as("an empty selector selects every pod").isPositive();
    for (Iterator<Map.Entry<String, JsonNode>> it = matchLabels.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> label = it.next();
      if (!labels.path(label.getKey()).asText().equals(label.getValue().asText())) {
        return false;
      }
    }
    return true;
  }
}
