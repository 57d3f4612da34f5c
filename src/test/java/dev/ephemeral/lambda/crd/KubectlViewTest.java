package dev.ephemeral.lambda.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What kubectl shows of both CRDs, in every copy a user installs (crds/, deploy/crd/ and the
 * chart's crds/): {@code kubectl get} columns in the order the README lists them, the category
 * {@code lambda} ({@code kubectl get lambda}), a description at the root ({@code kubectl explain
 * lambdainvocation}), and conditions as a list keyed by type.
 */
class KubectlViewTest {

  private static final List<String> INVOCATION_COLUMNS =
      List.of("Ready", "Reason", "Status Code", "Executed Version", "Secret", "Age");
  private static final List<String> POLICY_COLUMNS =
      List.of("Namespaces", "Role", "Ready", "Reason", "Age");

  static Stream<Arguments> installedCopies() {
    List<Arguments> copies = new ArrayList<>();
    for (String dir : List.of("crds", "deploy/crd", "charts/lambda-invocation-operator/files/crds")) {
      copies.add(
          Arguments.of(
              Path.of(dir, "lambdainvocations.lambda.ephemeral.dev-v1.yml"), INVOCATION_COLUMNS));
      copies.add(
          Arguments.of(
              Path.of(dir, "lambdainvocationpolicies.lambda.ephemeral.dev-v1.yml"),
              POLICY_COLUMNS));
    }
    return copies.stream();
  }

  @ParameterizedTest
  @MethodSource("installedCopies")
  void printerColumnsComeInTheDocumentedOrder(Path copy, List<String> columns) {
    JsonNode version = CrdFiles.parse(copy).at("/spec/versions/0");
    List<String> names = new ArrayList<>();
    version.path("additionalPrinterColumns").forEach(c -> names.add(c.path("name").asText()));
    assertThat(names).as(copy + " printer columns").containsExactlyElementsOf(columns);
  }

  @ParameterizedTest
  @MethodSource("installedCopies")
  void listedUnderTheLambdaCategory(Path copy, List<String> columns) {
    List<String> categories = new ArrayList<>();
    CrdFiles.parse(copy).at("/spec/names/categories").forEach(c -> categories.add(c.asText()));
    assertThat(categories).as(copy + " categories").containsExactly("lambda");
  }

  @ParameterizedTest
  @MethodSource("installedCopies")
  void kubectlExplainHasARootDescription(Path copy, List<String> columns) {
    JsonNode root = CrdFiles.openApiV3Schema(CrdFiles.parse(copy));
    assertThat(root.path("description").asText()).as(copy + " root description").isNotBlank();
  }

  @ParameterizedTest
  @MethodSource("installedCopies")
  void conditionsAreAListKeyedByType(Path copy, List<String> columns) {
    JsonNode conditions =
        CrdFiles.openApiV3Schema(CrdFiles.parse(copy)).at("/properties/status/properties/conditions");
    assertThat(conditions.path("x-kubernetes-list-type").asText()).isEqualTo("map");
    assertThat(conditions.path("x-kubernetes-list-map-keys").toString()).isEqualTo("[\"type\"]");
    // The API server refuses a map key that is neither required nor defaulted.
    assertThat(conditions.at("/items/required").toString()).contains("\"type\"");
  }

  /** The copies are the same file (CrdUpToDateTest, PolicyCrdTest, HelmChartTest): one suffices. */
  static Stream<Path> committed() {
    return installedCopies().map(a -> (Path) a.get()[0]).filter(p -> p.startsWith("crds"));
  }

  @ParameterizedTest
  @MethodSource("committed")
  void aConditionTypeAppearsOnce(Path copy) throws Exception {
    var validator = new CrdValidator(CrdFiles.openApiV3Schema(CrdFiles.parse(copy)));
    JsonNode status =
        new ObjectMapper()
            .readTree(
                "{\"status\":{\"conditions\":["
                    + "{\"type\":\"Ready\",\"status\":\"True\"},"
                    + "{\"type\":\"Stalled\",\"status\":\"False\"},"
                    + "{\"type\":\"Ready\",\"status\":\"False\"}]}}");
    assertThat(validator.validate(status, new HashSet<>()))
        .filteredOn(f -> f.kind().equals("x-kubernetes-list-map-keys"))
        .extracting(CrdValidator.Failure::path)
        .containsExactly("status.conditions[2]");
  }
}
