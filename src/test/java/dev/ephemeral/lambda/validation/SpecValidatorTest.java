package dev.ephemeral.lambda.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.validation.SpecExamples.Example;
import dev.ephemeral.lambda.validation.SpecValidator.Invalid;
import dev.ephemeral.lambda.validation.SpecValidator.Result;
import dev.ephemeral.lambda.validation.SpecValidator.Valid;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The operator's own check of DESIGN.md's field rules, driven by the same example tables as the CRD
 * checks ({@code CrdSchemaValidationTest}): every valid example gives a plan with the defaults
 * applied, every invalid one gives {@link Invalid} with violations that all name the table's field.
 *
 * <p>One rule the CRD cannot express is covered only here: the serialized payload is at most
 * 6,291,456 bytes (the synchronous Invoke limit). Kubernetes cannot measure the JSON serialization
 * of a schemaless value, and an object that large would not fit in etcd anyway.
 */
class SpecValidatorTest {

  private static final int PAYLOAD_LIMIT = 6_291_456;

  private final SpecValidator validator = new SpecValidator(new ObjectMapper());

  @TestFactory
  Stream<DynamicTest> validExamplesGiveAPlanWithDefaultsApplied() {
    return SpecExamples.valid().stream()
        .map(example -> dynamicTest(example.name(), () -> checkValid(example)));
  }

  @TestFactory
  Stream<DynamicTest> invalidExamplesAreRejectedNamingTheField() {
    return SpecExamples.invalid().stream()
        .map(example -> dynamicTest(example.name(), () -> checkInvalid(example)));
  }

  /** Every row of DESIGN.md's field-rules table has at least one invalid example. */
  @Test
  void everyFieldRuleOfTheDesignHasAnInvalidExample() {
    Set<String> fields =
        SpecExamples.invalid().stream()
            .map(Example::field)
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(fields)
        .contains(
            "spec.functionName",
            "spec.qualifier",
            "spec.region",
            "spec.payload",
            "spec.clientContext",
            "spec.logType",
            "spec.timeout",
            "spec.refreshInterval",
            "spec.secret.name",
            "spec.secret.ttl",
            "spec.secret.keys",
            "spec.secret.labels",
            "spec.secret.annotations");
  }

  // The payload limit is not in the invalid table: the CRD cannot express it (see the class
  // comment).

  @Test
  void payloadOfExactly6291456SerializedBytesIsValid() {
    // A JSON string payload serializes with two quotes around it.
    var resource = withPayload(TextNode.valueOf("x".repeat(PAYLOAD_LIMIT - 2)));

    Result result = validator.validate(resource);

    assertThat(result).isInstanceOf(Valid.class);
    assertThat(((Valid) result).plan().payload()).hasSize(PAYLOAD_LIMIT);
  }

  @Test
  void payloadOfOneByteMoreIsInvalidAndTheMessageQuotesNoPayload() {
    var resource = withPayload(TextNode.valueOf("y".repeat(PAYLOAD_LIMIT - 1)));

    Result result = validator.validate(resource);

    assertThat(result).isInstanceOf(Invalid.class);
    var invalid = (Invalid) result;
    assertThat(invalid.violations())
        .isNotEmpty()
        .allSatisfy(v -> assertThat(v).startsWith("spec.payload:"));
    assertThat(invalid.message()).doesNotContain("yyyy");
  }

  @Test
  void payloadLimitCountsUtf8BytesNotCharacters() {
    // 3 bytes each in UTF-8: fewer characters than the limit, more bytes.
    var resource = withPayload(TextNode.valueOf("€".repeat(PAYLOAD_LIMIT / 3)));

    assertThat(validator.validate(resource)).isInstanceOf(Invalid.class);
  }

  @Test
  void everyViolationIsReportedEachNamingItsField() {
    var object = SpecExamples.valid().get(0).object().deepCopy();
    var spec = (ObjectNode) object.get("spec");
    spec.put("region", "EU-WEST-1");
    spec.put("logType", "Full");
    spec.put("timeout", "16m");
    ((ObjectNode) spec.get("secret")).put("ttl", "0s");

    Result result = validator.validate(SpecExamples.toResource(object));

    assertThat(result).isInstanceOf(Invalid.class);
    assertThat(((Invalid) result).violations())
        .extracting(v -> v.substring(0, v.indexOf(':')))
        .containsExactlyInAnyOrder(
            "spec.region", "spec.logType", "spec.timeout", "spec.secret.ttl");
  }

  @Test
  void aResourceWithoutSpecIsInvalid() {
    var object = SpecExamples.valid().get(0).object().deepCopy();
    object.remove("spec");

    Result result = validator.validate(SpecExamples.toResource(object));

    assertThat(result).isInstanceOf(Invalid.class);
    assertThat(((Invalid) result).message()).startsWith("spec");
  }

  private void checkValid(Example example) {
    LambdaInvocation resource = SpecExamples.toResource(example.object());
    Result result = validator.validate(resource);
    assertThat(result)
        .as("%s: %s", example.name(), result instanceof Invalid i ? i.message() : "")
        .isInstanceOf(Valid.class);
    InvocationPlan plan = ((Valid) result).plan();
    JsonNode spec = example.object().get("spec");
    JsonNode secret = spec.path("secret");

    // Values pass through unchanged, and the defaults are applied when a field is absent.
    assertThat(plan.functionName()).isEqualTo(text(spec, "functionName"));
    assertThat(plan.qualifier()).isEqualTo(text(spec, "qualifier"));
    assertThat(plan.region()).isEqualTo(text(spec, "region"));
    assertThat(plan.clientContext()).isEqualTo(text(spec, "clientContext"));
    assertThat(plan.tailLog()).isEqualTo("Tail".equals(text(spec, "logType")));
    assertThat(plan.secretName())
        .isEqualTo(
            Optional.ofNullable(text(secret, "name"))
                .orElse(example.object().at("/metadata/name").asText()));
    if (!spec.has("timeout")) {
      assertThat(plan.timeout()).isEqualTo(Duration.ofMinutes(15));
    }
    if (!spec.has("refreshInterval")) {
      assertThat(plan.refreshInterval()).isEmpty();
    }
    if (!secret.has("ttl")) {
      assertThat(plan.ttl()).isEmpty();
    }
    assertThat(pointers(plan.secretKeys())).isEqualTo(map(secret.path("keys")));
    assertThat(plan.secretLabels()).isEqualTo(map(secret.path("labels")));
    assertThat(plan.secretAnnotations()).isEqualTo(map(secret.path("annotations")));

    // What the table says the plan holds.
    example
        .expect()
        .fields()
        .forEachRemaining(e -> checkExpectation(example.name(), plan, e.getKey(), e.getValue()));
  }

  private static void checkExpectation(
      String name, InvocationPlan plan, String key, JsonNode expected) {
    String what = name + ": expect." + key;
    switch (key) {
      case "payload" ->
          assertThat(new String(plan.payload(), StandardCharsets.UTF_8))
              .as(what)
              .isEqualTo(expected.asText());
      case "functionName" ->
          assertThat(plan.functionName()).as(what).isEqualTo(nullableText(expected));
      case "qualifier" -> assertThat(plan.qualifier()).as(what).isEqualTo(nullableText(expected));
      case "region" -> assertThat(plan.region()).as(what).isEqualTo(nullableText(expected));
      case "clientContext" ->
          assertThat(plan.clientContext()).as(what).isEqualTo(nullableText(expected));
      case "secretName" -> assertThat(plan.secretName()).as(what).isEqualTo(nullableText(expected));
      case "tailLog" -> assertThat(plan.tailLog()).as(what).isEqualTo(expected.asBoolean());
      case "timeout" ->
          assertThat(plan.timeout()).as(what).isEqualTo(Duration.parse(expected.asText()));
      case "refreshInterval" ->
          assertThat(plan.refreshInterval()).as(what).isEqualTo(duration(expected));
      case "ttl" -> assertThat(plan.ttl()).as(what).isEqualTo(duration(expected));
      case "secretKeys" ->
          assertThat(pointers(plan.secretKeys())).as(what).isEqualTo(map(expected));
      case "secretLabels" -> assertThat(plan.secretLabels()).as(what).isEqualTo(map(expected));
      case "secretAnnotations" ->
          assertThat(plan.secretAnnotations()).as(what).isEqualTo(map(expected));
      default ->
          throw new AssertionError(what + " is not a field of InvocationPlan this test knows");
    }
  }

  private void checkInvalid(Example example) {
    LambdaInvocation resource = SpecExamples.toResource(example.object());
    Result result = validator.validate(resource);
    assertThat(result).as(example.name() + " must be Invalid").isInstanceOf(Invalid.class);
    List<String> violations = ((Invalid) result).violations();
    assertThat(violations).as(example.name()).isNotEmpty();
    // Each violation starts with the path it is about; the example breaks only the rule of its
    // field.
    assertThat(violations)
        .as("%s: every violation must name %s", example.name(), example.field())
        .allSatisfy(
            v -> assertThat(v).matches(java.util.regex.Pattern.quote(example.field()) + "[.:].*"));
    assertThat(((Invalid) result).message()).contains(example.field());
  }

  private static LambdaInvocation withPayload(JsonNode payload) {
    var object =
        SpecExamples.valid().stream()
            .filter(e -> e.name().startsWith("minimal"))
            .findFirst()
            .orElseThrow()
            .object()
            .deepCopy();
    ((ObjectNode) object.get("spec")).set("payload", payload);
    return SpecExamples.toResource(object);
  }

  private static String text(JsonNode node, String field) {
    return node.hasNonNull(field) ? node.get(field).asText() : null;
  }

  private static String nullableText(JsonNode node) {
    return node.isNull() ? null : node.asText();
  }

  private static Optional<Duration> duration(JsonNode node) {
    return node.isNull() ? Optional.empty() : Optional.of(Duration.parse(node.asText()));
  }

  private static Map<String, String> map(JsonNode node) {
    var map = new TreeMap<String, String>();
    node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }

  private static Map<String, String> pointers(
      Map<String, com.fasterxml.jackson.core.JsonPointer> keys) {
    var map = new TreeMap<String, String>();
    keys.forEach((k, v) -> map.put(k, v.toString()));
    return map;
  }
}
