package dev.ephemeral.lambda.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The LambdaInvocationPolicy CRD: the committed copies are the generated one; it is cluster-scoped
 * with a status subresource, printer columns and a description on every field; and its schema and
 * CEL rules admit the valid policies and refuse each invalid one for its field (as an API server
 * would, which the mock API server of the other tests does not).
 */
class PolicyCrdTest {

  static final String FILE_NAME = "lambdainvocationpolicies.lambda.ephemeral.dev-v1.yml";
  static final Path GENERATED = Path.of("target", "classes", "META-INF", "fabric8", FILE_NAME);
  static final Path COMMITTED = Path.of("crds", FILE_NAME);
  static final Path DEPLOYED = Path.of("deploy", "crd", FILE_NAME);

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final JsonNode crd = CrdFiles.parse(GENERATED);
  private final JsonNode version = crd.path("spec").path("versions").path(0);
  private final CrdValidator validator = new CrdValidator(CrdFiles.openApiV3Schema(crd));

  @Test
  void committedAndDeployedCopiesAreTheGeneratedOne() {
    String generated = CrdFiles.read(GENERATED).replace("\r\n", "\n");
    for (Path copy : List.of(COMMITTED, DEPLOYED)) {
      assertThat(CrdFiles.read(copy).replace("\r\n", "\n"))
          .as(
              copy
                  + " is out of date with the model; update it with `mvn process-classes && cp "
                  + GENERATED
                  + " crds/ && cp "
                  + COMMITTED
                  + " deploy/crd/`")
          .isEqualTo(generated);
    }
  }

  @Test
  void clusterScopedWithStatusAndPrinterColumns() {
    JsonNode spec = crd.path("spec");
    assertThat(crd.at("/metadata/name").asText())
        .isEqualTo("lambdainvocationpolicies.lambda.ephemeral.dev");
    assertThat(spec.path("group").asText()).isEqualTo("lambda.ephemeral.dev");
    assertThat(spec.at("/names/kind").asText()).isEqualTo("LambdaInvocationPolicy");
    assertThat(spec.path("scope").asText()).isEqualTo("Cluster");
    assertThat(version.path("name").asText()).isEqualTo("v1alpha1");
    assertThat(version.at("/subresources/status").isObject()).isTrue();
    Map<String, String> columns = new LinkedHashMap<>();
    version
        .path("additionalPrinterColumns")
        .forEach(c -> columns.put(c.path("name").asText(), c.path("jsonPath").asText()));
    assertThat(columns)
        .containsEntry("Namespaces", ".spec.namespaces")
        .containsEntry("Role", ".spec.roleArn")
        .containsEntry("Ready", ".status.conditions[?(@.type==\"Ready\")].status")
        .containsEntry("Reason", ".status.conditions[?(@.type==\"Ready\")].reason")
        .containsKey("Age");
  }

  @Test
  void everyFieldHasADescriptionAndNoneADefault() {
    JsonNode root = CrdFiles.openApiV3Schema(crd);
    List<String> missing = new ArrayList<>();
    List<String> defaults = new ArrayList<>();
    walk("spec", root.at("/properties/spec"), missing, defaults);
    walk("status", root.at("/properties/status"), missing, defaults);
    assertThat(missing).isEmpty();
    assertThat(defaults).isEmpty();
  }

  private static void walk(
      String path, JsonNode schema, List<String> missing, List<String> defaults) {
    if (schema.path("description").asText("").isBlank()) {
      missing.add(path);
    }
    if (schema.has("default")) {
      defaults.add(path);
    }
    if (path.equals("spec.namespaceSelector")) {
      return; // Kubernetes' own LabelSelector type, documented by Kubernetes
    }
    schema
        .path("properties")
        .fields()
        .forEachRemaining(e -> walk(path + "." + e.getKey(), e.getValue(), missing, defaults));
    schema
        .path("items")
        .path("properties")
        .fields()
        .forEachRemaining(e -> walk(path + "[]." + e.getKey(), e.getValue(), missing, defaults));
  }

  static final String VALID =
      """
      - metadata: {name: shop}
        spec:
          namespaces: [shop]
          functions: [{name: "secret-*"}]
      - metadata: {name: by-label}
        spec:
          namespaceSelector: {matchLabels: {team: shop}}
          functions: []
          revoke: true
      - metadata: {name: everything}
        spec:
          namespaces: [shop, team-a]
          namespaceSelector:
            matchExpressions: [{key: tier, operator: In, values: [gold]}]
          functions:
          - {name: "*", qualifier: "*", account: "*", region: "*"}
          - {name: config-fetcher, qualifier: "$LATEST", account: "123456789012", region: eu-west-1}
          roleArn: arn:aws:iam::123456789012:role/path/shop-invoker
          externalId: shop-external-id
          sessionTags: {team: shop, "cost center": "42"}
          minRefreshInterval: 5m
          maxTimeout: 1m
      """;

  /** Each: the field the complaint names, and a spec breaking that one rule. */
  static final String INVALID =
      """
      - field: spec
        spec: {functions: [{name: x}]}
      - field: spec.functions
        spec: {namespaces: [shop]}
      - field: spec.functions[0].name
        spec: {namespaces: [shop], functions: [{qualifier: "*"}]}
      - field: spec.functions[0].name
        spec: {namespaces: [shop], functions: [{name: "arn:aws:lambda:eu-west-1:1:function:x"}]}
      - field: spec.functions[0].name
        spec: {namespaces: [shop], functions: [{name: "{{a*65}}"}]}
      - field: spec.functions[0].qualifier
        spec: {namespaces: [shop], functions: [{name: x, qualifier: "a:b"}]}
      - field: spec.functions[0].account
        spec: {namespaces: [shop], functions: [{name: x, account: "1234567890123"}]}
      - field: spec.functions[0].account
        spec: {namespaces: [shop], functions: [{name: x, account: "abc"}]}
      - field: spec.functions[0].region
        spec: {namespaces: [shop], functions: [{name: x, region: EU-WEST-1}]}
      - field: spec.namespaces[0]
        spec: {namespaces: [Shop], functions: []}
      - field: spec.roleArn
        spec: {namespaces: [shop], functions: [], roleArn: "arn:aws:iam::123:role/x"}
      - field: spec.roleArn
        spec: {namespaces: [shop], functions: [], roleArn: "arn:aws:iam::123456789012:user/x"}
      - field: spec.roleArn
        spec: {namespaces: [shop], functions: [], externalId: abc}
      - field: spec.roleArn
        spec: {namespaces: [shop], functions: [], sessionTags: {a: b}}
      - field: spec.externalId
        spec: {namespaces: [shop], functions: [], roleArn: "arn:aws:iam::123456789012:role/x", externalId: "a"}
      - field: spec.sessionTags
        spec: {namespaces: [shop], functions: [], roleArn: "arn:aws:iam::123456789012:role/x", sessionTags: {"a;b": c}}
      - field: spec.sessionTags
        spec: {namespaces: [shop], functions: [], roleArn: "arn:aws:iam::123456789012:role/x", sessionTags: {a: "{{v*257}}"}}
      - field: spec.maxTimeout
        spec: {namespaces: [shop], functions: [], maxTimeout: 16m}
      - field: spec.maxTimeout
        spec: {namespaces: [shop], functions: [], maxTimeout: 1.5m}
      - field: spec.minRefreshInterval
        spec: {namespaces: [shop], functions: [], minRefreshInterval: 8761h}
      - field: spec.minRefreshInterval
        spec: {namespaces: [shop], functions: [], minRefreshInterval: 99999999999999999999h}
      - field: spec.revoke
        spec: {namespaces: [shop], functions: [], revoke: "yes"}
      """;

  private static List<JsonNode> read(String yaml) {
    try {
      String expanded = yaml;
      var m = java.util.regex.Pattern.compile("\\{\\{(.)\\*([0-9]+)}}").matcher(yaml);
      while (m.find()) {
        expanded = expanded.replace(m.group(), m.group(1).repeat(Integer.parseInt(m.group(2))));
      }
      List<JsonNode> items = new ArrayList<>();
      YAML.readTree(expanded).forEach(items::add);
      return items;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static JsonNode object(JsonNode metadata, JsonNode spec) {
    var object = YAML.createObjectNode();
    object.put("apiVersion", "lambda.ephemeral.dev/v1alpha1");
    object.put("kind", "LambdaInvocationPolicy");
    object.set("metadata", metadata == null ? YAML.createObjectNode().put("name", "p") : metadata);
    object.set("spec", spec);
    return object;
  }

  @Test
  void validPoliciesAreAdmitted() {
    Set<String> held = new HashSet<>();
    for (JsonNode example : read(VALID)) {
      assertThat(validator.validate(object(example.get("metadata"), example.get("spec")), held))
          .as(example.toString())
          .isEmpty();
    }
    assertThat(held).as("CEL rules that held for some valid policy").isNotEmpty();
  }

  @Test
  void invalidPoliciesAreRefusedForTheirField() {
    Set<String> falsified = new TreeSet<>();
    for (JsonNode example : read(INVALID)) {
      String field = example.get("field").asText();
      var failures = validator.validate(object(null, example.get("spec")), new HashSet<>());
      assertThat(failures).as(example + " must be refused").isNotEmpty();
      assertThat(failures)
          .as("%s: every complaint names %s", example, field)
          .allSatisfy(f -> assertThat(f.names(field)).as(f.toString()).isTrue());
      assertThat(failures)
          .as("no rule fails with an evaluation error")
          .noneSatisfy(f -> assertThat(f.message()).contains(CrdValidator.EVALUATION_ERROR));
      failures.stream()
          .filter(f -> f.kind().equals("x-kubernetes-validations"))
          .forEach(f -> falsified.add(f.schemaLocation()));
    }
    Set<String> rules = new TreeSet<>();
    validator.rules().forEach(r -> rules.add(r.schemaLocation()));
    assertThat(falsified).as("every CEL rule is false for some invalid policy").isEqualTo(rules);
  }

  @Test
  void theTemplatePolicyOfDeployPoliciesIsAdmitted() throws Exception {
    Path example = Path.of("deploy", "policies", "example-policy.yaml");
    JsonNode policy = YAML.readTree(java.nio.file.Files.readString(example));
    assertThat(policy.path("kind").asText()).isEqualTo("LambdaInvocationPolicy");
    assertThat(validator.validate(policy, new HashSet<>())).as(example.toString()).isEmpty();
  }

  /**
   * The policies the examples come with would be admitted: examples/00-namespace.yaml (the one
   * that lets the examples run on a default install), examples/policies/ and the Argo CD example
   * app's.
   */
  @Test
  void theExamplesPoliciesAreAdmitted() throws Exception {
    List<Path> files = new ArrayList<>();
    for (Path directory :
        List.of(Path.of("examples"), Path.of("deploy", "argocd", "example-app"))) {
      try (var walk = java.nio.file.Files.walk(directory)) {
        walk.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(files::add);
      }
    }
    List<String> names = new ArrayList<>();
    for (Path file : files) {
      try (var parser = new YAMLFactory().createParser(file.toFile())) {
        YAML.readValues(parser, JsonNode.class)
            .forEachRemaining(
                document -> {
                  if ("LambdaInvocationPolicy".equals(document.path("kind").asText())) {
                    names.add(document.at("/metadata/name").asText());
                    assertThat(validator.validate(document, new HashSet<>()))
                        .as(file + ": " + document.at("/metadata/name").asText())
                        .isEmpty();
                  }
                });
      }
    }
    assertThat(names).as("the examples' policies").contains("demo", "shop", "shop-api");
  }
}
