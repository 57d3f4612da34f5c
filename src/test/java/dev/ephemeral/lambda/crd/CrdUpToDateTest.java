package dev.ephemeral.lambda.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The committed CRD in {@code crds/} is exactly what the model generates, and the generated CRD has
 * what docs/resource.md promises: names, scope, status subresource, printer columns, a description
 * on every field (for {@code kubectl explain}) and no schema defaults (so Argo CD sees no drift).
 */
class CrdUpToDateTest {

  private final JsonNode crd = CrdFiles.generated();
  private final JsonNode version = crd.path("spec").path("versions").path(0);

  @Test
  void committedCrdIsTheGeneratedOne() {
    String generated = CrdFiles.read(CrdFiles.GENERATED).replace("\r\n", "\n");
    String committed = CrdFiles.read(CrdFiles.COMMITTED).replace("\r\n", "\n");
    if (!committed.equals(generated)) {
      throw new AssertionError(
          CrdFiles.COMMITTED
              + " is out of date with the model in src/main/java (it must be exactly the"
              + " generated CRD). Update it with:\n\n    "
              + CrdFiles.UPDATE_COMMAND
              + "\n\n(after `mvn process-classes`), and commit it. "
              + firstDifference(committed, generated));
    }
  }

  @Test
  void groupVersionKindAndNames() {
    assertThat(crd.path("apiVersion").asText()).isEqualTo("apiextensions.k8s.io/v1");
    assertThat(crd.path("kind").asText()).isEqualTo("CustomResourceDefinition");
    assertThat(crd.at("/metadata/name").asText())
        .isEqualTo("lambdainvocations.lambda.ephemeral.dev");
    JsonNode spec = crd.path("spec");
    assertThat(spec.path("group").asText()).isEqualTo("lambda.ephemeral.dev");
    assertThat(spec.at("/names/kind").asText()).isEqualTo("LambdaInvocation");
    assertThat(spec.at("/names/plural").asText()).isEqualTo("lambdainvocations");
    assertThat(spec.at("/names/singular").asText()).isEqualTo("lambdainvocation");
    assertThat(texts(spec.at("/names/shortNames"))).containsExactlyInAnyOrder("lambdainv", "linv");
    assertThat(spec.path("scope").asText()).isEqualTo("Namespaced");
    assertThat(spec.path("versions")).hasSize(1);
    assertThat(version.path("name").asText()).isEqualTo("v1alpha1");
    assertThat(version.path("served").asBoolean()).isTrue();
    assertThat(version.path("storage").asBoolean()).isTrue();
  }

  @Test
  void statusSubresourceIsOn() {
    assertThat(version.at("/subresources/status").isObject()).as("subresources.status").isTrue();
  }

  @Test
  void printerColumns() {
    Map<String, JsonNode> columns = new LinkedHashMap<>();
    version.path("additionalPrinterColumns").forEach(c -> columns.put(c.path("name").asText(), c));
    assertThat(columns)
        .containsKeys("Ready", "Reason", "Status Code", "Executed Version", "Secret", "Age");
    assertThat(columns.get("Ready").path("jsonPath").asText())
        .isEqualTo(".status.conditions[?(@.type==\"Ready\")].status");
    assertThat(columns.get("Reason").path("jsonPath").asText())
        .isEqualTo(".status.conditions[?(@.type==\"Ready\")].reason");
    assertThat(columns.get("Status Code").path("jsonPath").asText())
        .isEqualTo(".status.statusCode");
    assertThat(columns.get("Status Code").path("type").asText()).isEqualTo("integer");
    assertThat(columns.get("Executed Version").path("jsonPath").asText())
        .isEqualTo(".status.executedVersion");
    assertThat(columns.get("Secret").path("jsonPath").asText()).isEqualTo(".status.secretName");
    assertThat(columns.get("Age").path("jsonPath").asText())
        .isEqualTo(".metadata.creationTimestamp");
    assertThat(columns.get("Age").path("type").asText()).isEqualTo("date");
  }

  @Test
  void specHasTheFieldsOfTheDesign() {
    JsonNode spec = CrdFiles.openApiV3Schema(crd).at("/properties/spec");
    assertThat(names(spec.path("properties")))
        .containsExactlyInAnyOrder(
            "functionName",
            "qualifier",
            "region",
            "payload",
            "clientContext",
            "logType",
            "timeout",
            "refreshInterval",
            "invokePolicy",
            "onDelete",
            "payloadFrom",
            "secret",
            "successCondition");
    assertThat(names(spec.at("/properties/successCondition/properties")))
        .containsExactlyInAnyOrder("expression", "message", "writeRejectedResult");
    assertThat(texts(spec.at("/properties/successCondition/required")))
        .containsExactly("expression");
    assertThat(spec.at("/properties/successCondition/properties/expression/maxLength").asInt())
        .isEqualTo(1024);
    assertThat(names(spec.at("/properties/payloadFrom/items/properties")))
        .containsExactlyInAnyOrder("pointer", "configMapKeyRef", "secretKeyRef", "format");
    assertThat(names(spec.at("/properties/payloadFrom/items/properties/secretKeyRef/properties")))
        .containsExactlyInAnyOrder("name", "key", "optional");
    assertThat(names(spec.at("/properties/secret/properties")))
        .containsExactlyInAnyOrder(
            "name",
            "ttl",
            "keys",
            "labels",
            "annotations",
            "rolloutRestartTargets",
            "type",
            "template",
            "previousValueRetention");
    assertThat(texts(spec.path("required"))).containsExactlyInAnyOrder("functionName", "payload");
    assertThat(names(spec.at("/properties/onDelete/properties"))).containsExactly("payload");
    assertThat(texts(spec.at("/properties/onDelete/required"))).containsExactly("payload");
    assertThat(
            spec.at("/properties/onDelete/properties/payload/x-kubernetes-preserve-unknown-fields")
                .asBoolean())
        .isTrue();
    assertThat(spec.at("/properties/payload/x-kubernetes-preserve-unknown-fields").asBoolean())
        .as("payload takes any JSON value")
        .isTrue();
    assertThat(spec.at("/properties/payload").has("type")).as("payload has no type").isFalse();
  }

  @Test
  void everyFieldOfSpecAndStatusHasADescription() {
    JsonNode root = CrdFiles.openApiV3Schema(crd);
    List<String> missing = new ArrayList<>();
    int[] checked = {0};
    for (String top : List.of("spec", "status")) {
      JsonNode schema = root.at("/properties/" + top);
      assertThat(schema.isObject()).as(top + " is in the schema").isTrue();
      checkDescriptions(top, schema, missing, checked);
    }
    assertThat(missing).as("properties without a description").isEmpty();
    // spec, status and their nested fields, down to spec.secret.keys and status.conditions[].reason
    assertThat(checked[0]).isGreaterThan(25);
  }

  @Test
  void noPropertyAnywhereHasADefault() {
    List<String> withDefault = new ArrayList<>();
    findDefaults("", CrdFiles.openApiV3Schema(crd), withDefault);
    assertThat(withDefault)
        .as("schema nodes with a default (defaults are applied in code)")
        .isEmpty();
  }

  private static void checkDescriptions(
      String path, JsonNode schema, List<String> missing, int[] checked) {
    checked[0]++;
    if (schema.path("description").asText("").isBlank()) {
      missing.add(path);
    }
    schema
        .path("properties")
        .fields()
        .forEachRemaining(
            e -> checkDescriptions(path + "." + e.getKey(), e.getValue(), missing, checked));
    // Items and map values are not fields of their own: their parent's description covers them,
    // but their properties (such as status.conditions[].reason) are fields.
    JsonNode items = schema.path("items");
    if (items.isObject()) {
      items
          .path("properties")
          .fields()
          .forEachRemaining(
              e -> checkDescriptions(path + "[]." + e.getKey(), e.getValue(), missing, checked));
    }
    JsonNode values = schema.path("additionalProperties");
    if (values.isObject()) {
      values
          .path("properties")
          .fields()
          .forEachRemaining(
              e -> checkDescriptions(path + ".*." + e.getKey(), e.getValue(), missing, checked));
    }
  }

  private static void findDefaults(String path, JsonNode schema, List<String> found) {
    if (!schema.isObject()) {
      return;
    }
    if (schema.has("default")) {
      found.add(path.isEmpty() ? "(root)" : path);
    }
    schema
        .path("properties")
        .fields()
        .forEachRemaining(e -> findDefaults(join(path, e.getKey()), e.getValue(), found));
    findDefaults(path + "[]", schema.path("items"), found);
    findDefaults(path + ".*", schema.path("additionalProperties"), found);
    for (String combinator : List.of("allOf", "anyOf", "oneOf")) {
      schema.path(combinator).forEach(s -> findDefaults(path + "(" + combinator + ")", s, found));
    }
    findDefaults(path + "(not)", schema.path("not"), found);
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(n -> texts.add(n.asText()));
    return texts;
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String firstDifference(String committed, String generated) {
    String[] a = committed.split("\n", -1);
    String[] b = generated.split("\n", -1);
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      String left = i < a.length ? a[i] : "<end of file>";
      String right = i < b.length ? b[i] : "<end of file>";
      if (!left.equals(right)) {
        return "First difference at line "
            + (i + 1)
            + ":\n  committed: "
            + left
            + "\n  generated: "
            + right;
      }
    }
    return "";
  }
}
