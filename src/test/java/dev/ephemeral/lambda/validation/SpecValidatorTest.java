package dev.ephemeral.lambda.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.ephemeral.lambda.customresource.KeyReference;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.OnDeleteSpec;
import dev.ephemeral.lambda.customresource.PayloadInput;
import dev.ephemeral.lambda.customresource.SecretSpec;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.PayloadSource;
import dev.ephemeral.lambda.validation.SpecExamples.Example;
import dev.ephemeral.lambda.validation.SpecValidator.Invalid;
import dev.ephemeral.lambda.validation.SpecValidator.Result;
import dev.ephemeral.lambda.validation.SpecValidator.Valid;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
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
 * The operator's own check of the field rules, driven by the same example tables as the CRD checks
 * ({@code CrdSchemaValidationTest}): every valid example gives a plan with the defaults applied,
 * every invalid one (those marked operatorOnly too) gives {@link Invalid} with violations that all
 * name the table's field.
 *
 * <p>One rule the CRD cannot express is covered only here: the serialized payload is at most
 * 6,291,456 bytes (the synchronous Invoke limit). Kubernetes cannot measure the JSON serialization
 * of a schemaless value, and an object that large would not fit in etcd anyway.
 *
 * <p>Then the hostile inputs: durations too large for any clock, a clientContext that is base64 of
 * something other than a JSON object, a null payload, null map values, payloads nested as deep as
 * an API server accepts, and a sweep of odd values that {@code validate} must answer without
 * throwing.
 */
class SpecValidatorTest {

  private static final int PAYLOAD_LIMIT = 6_291_456;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The smallest valid example: only functionName and payload. */
  private static final ObjectNode MINIMAL =
      SpecExamples.valid().stream()
          .filter(e -> e.name().startsWith("minimal"))
          .findFirst()
          .orElseThrow()
          .object();

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

  /** Every row of the field table in docs/resource.md has at least one invalid example. */
  @Test
  void everyFieldRuleHasAnInvalidExample() {
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
            "spec.secret.annotations",
            "spec.payloadFrom",
            "spec.payloadFrom[0]",
            "spec.successCondition.expression",
            "spec.secret.previousValueRetention");
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

  /**
   * A resource reading its own result Secret would invoke again at each new result. The default
   * Secret name is metadata.name, which the CRD's rules on the spec cannot read: only here.
   */
  @Test
  void payloadFromMayNotReadTheResourcesOwnResultSecretUnderItsDefaultName() {
    var resource = minimal();
    var own = new PayloadInput();
    own.setPointer("/previous");
    own.setSecretKeyRef(new KeyReference(resource.getMetadata().getName(), "result"));
    var other = new PayloadInput();
    other.setPointer("/other");
    other.setSecretKeyRef(new KeyReference("another-result", "result"));
    resource.getSpec().setPayloadFrom(List.of(other, own));

    Result result = validator.validate(resource);

    assertThat(result).isInstanceOf(Invalid.class);
    assertThat(((Invalid) result).violations())
        .singleElement()
        .satisfies(v -> assertThat(v).startsWith("spec.payloadFrom[1].secretKeyRef.name:"));

    // Read under another Secret name, it is another object: valid.
    secret(resource).setName("renamed");
    assertThat(validator.validate(resource)).isInstanceOf(Valid.class);
  }

  @Test
  void onDeletePayloadHasThePayloadsLimitAndTheMessageQuotesNoPayload() {
    var atLimit = minimal();
    var onDelete = new OnDeleteSpec();
    onDelete.setPayload(TextNode.valueOf("x".repeat(PAYLOAD_LIMIT - 2)));
    atLimit.getSpec().setOnDelete(onDelete);
    var overLimit = minimal();
    var tooLarge = new OnDeleteSpec();
    tooLarge.setPayload(TextNode.valueOf("z".repeat(PAYLOAD_LIMIT - 1)));
    overLimit.getSpec().setOnDelete(tooLarge);

    assertThat(((Valid) validator.validate(atLimit)).plan().onDeletePayload())
        .hasValueSatisfying(p -> assertThat(p).hasSize(PAYLOAD_LIMIT));
    Result result = validator.validate(overLimit);
    assertThat(result).isInstanceOf(Invalid.class);
    assertThat(((Invalid) result).violations())
        .singleElement()
        .satisfies(v -> assertThat(v).startsWith("spec.onDelete.payload:"));
    assertThat(((Invalid) result).message()).doesNotContain("zzzz");
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

  // Durations: a value of 20 digits used to throw NumberFormatException out of validate, and a
  // huge parseable one passed and then broke the clock arithmetic after the function had run.

  @Test
  void durationOf20DigitsIsInvalidNamingTheFieldAndItsRange() {
    var resource = minimal();
    resource.getSpec().setTimeout("99999999999999999999h");
    resource.getSpec().setRefreshInterval("99999999999999999999h");
    secret(resource).setTtl("99999999999999999999h");

    assertThat(violations(resource))
        .containsExactly(
            "spec.timeout: must be between 1s and 15m, got '99999999999999999999h'",
            "spec.refreshInterval: must be between 1s and 8760h (365 days), got"
                + " '99999999999999999999h'",
            "spec.secret.ttl: must be between 1s and 8760h (365 days), got"
                + " '99999999999999999999h'");
  }

  @Test
  void hugeButParseableDurationIsInvalidNamingTheBound() {
    var resource = minimal();
    resource.getSpec().setRefreshInterval("9000000000000h");
    secret(resource).setTtl("8760h1ns");

    assertThat(violations(resource))
        .containsExactly(
            "spec.refreshInterval: must be between 1s and 8760h (365 days), got '9000000000000h'",
            "spec.secret.ttl: must be between 1s and 8760h (365 days), got '8760h1ns'");
  }

  @Test
  void refreshIntervalAndTtlOf8760hAreValidAndAddToAnyInstant() {
    var resource = minimal();
    resource.getSpec().setRefreshInterval("8760h");
    secret(resource).setTtl("525600m");

    InvocationPlan plan = ((Valid) validator.validate(resource)).plan();

    assertThat(plan.refreshInterval()).contains(Duration.ofDays(365));
    assertThat(plan.ttl()).contains(Duration.ofDays(365));
    // Far inside what the clock arithmetic on them can hold.
    assertThat(Instant.parse("9999-01-01T00:00:00Z").plus(plan.ttl().orElseThrow()))
        .isBefore(Instant.MAX);
  }

  @Test
  void durationTooLongToBeOneIsInvalidAndQuotedCutShort() {
    var resource = minimal();
    resource.getSpec().setRefreshInterval("9".repeat(10_000) + "h");

    assertThat(violations(resource))
        .containsExactly(
            "spec.refreshInterval: must be a duration such as 90s, 10m or 1h30m (at most 32"
                + " characters), got '"
                + "9".repeat(SpecValidator.MAX_QUOTED_LENGTH)
                + "…' (10001 characters)");
  }

  // clientContext: Lambda refuses one that is not base64 of a JSON object, after the call.

  @Test
  void clientContextOfTextIsInvalidAndNotQuoted() {
    var resource = minimal();
    resource.getSpec().setClientContext("aGVsbG8gd29ybGQ="); // hello world

    assertThat(violations(resource))
        .containsExactly(
            "spec.clientContext: must be standard base64 of a JSON object (such as e30= for {}),"
                + " and it decodes to something else");
  }

  @Test
  void clientContextOfAJsonArrayIsInvalid() {
    var resource = minimal();
    resource.getSpec().setClientContext("WzEsMiwzXQ=="); // [1,2,3]

    assertThat(violations(resource))
        .singleElement()
        .asString()
        .startsWith("spec.clientContext: must be standard base64 of a JSON object")
        .doesNotContain("WzEsMiwzXQ==");
  }

  @Test
  void clientContextOfAJsonObjectNested1300LevelsDeepIsValid() {
    // Deeper than Jackson's default limit of 1000, and within 3583 characters of base64.
    String json = "{\"a\":" + "[".repeat(1300) + "]".repeat(1300) + "}";
    var resource = minimal();
    resource
        .getSpec()
        .setClientContext(
            Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)));

    assertThat(validator.validate(resource)).isInstanceOf(Valid.class);
  }

  // payload: null is no value; an API server drops it and then refuses the missing field.

  @Test
  void nullPayloadIsInvalidSayingItWasNull() {
    var resource = minimal();
    resource.getSpec().setPayload(NullNode.getInstance());

    assertThat(violations(resource))
        .containsExactly("spec.payload: required (any JSON value), got null");
  }

  @Test
  void nullInsideThePayloadIsSent() {
    var resource = minimal();
    resource.getSpec().setPayload(JSON.createArrayNode().addNull());

    assertThat(((Valid) validator.validate(resource)).plan().payload())
        .asString(StandardCharsets.UTF_8)
        .isEqualTo("[null]");
  }

  /** An API server accepts JSON nested 10,000 levels deep; such a payload is sent as it is. */
  @Test
  void payloadNested10000LevelsDeepIsSerializedExactly() {
    int depth = 10_000;
    JsonNode objects = JSON.createObjectNode();
    JsonNode arrays = JSON.createArrayNode().add(1);
    for (int i = 1; i < depth; i++) {
      objects = JSON.createObjectNode().set("a", objects);
      arrays = JSON.createArrayNode().add(arrays);
    }
    var objectsResource = minimal();
    objectsResource.getSpec().setPayload(objects);
    var arraysResource = minimal();
    arraysResource.getSpec().setPayload(arrays);

    assertThat(((Valid) validator.validate(objectsResource)).plan().payload())
        .asString(StandardCharsets.UTF_8)
        .isEqualTo("{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1));
    assertThat(((Valid) validator.validate(arraysResource)).plan().payload())
        .asString(StandardCharsets.UTF_8)
        .isEqualTo("[".repeat(depth) + "1" + "]".repeat(depth));
  }

  /** The payload bytes are what Jackson writes, for every kind of JSON value. */
  @Test
  void payloadIsSerializedAsJacksonWritesIt() throws Exception {
    JsonNode payload =
        JSON.readTree(
            "{\"s\":\"quote \\\" backslash \\\\ newline \\n tab \\t nul \\u0000 é 😀\","
                + "\"i\":-42,\"l\":9223372036854775807,\"big\":123456789012345678901234567890,"
                + "\"d\":1.5e300,\"small\":-0.000001,\"t\":true,\"f\":false,\"n\":null,"
                + "\"empty\":{},\"list\":[[],{},\"\",0,[null,{\"x\":[1,{\"y\":{}}]}]],"
                + "\"\":\"empty key\"}");
    var resource = minimal();
    resource.getSpec().setPayload(payload);

    assertThat(((Valid) validator.validate(resource)).plan().payload())
        .isEqualTo(JSON.writeValueAsBytes(payload));
  }

  /**
   * A LambdaInvocation as the Kubernetes client reads it (and copies it for each reconcile): the
   * payload's numbers reach the function as stored, not as doubles (1.10 would be sent as 1.1, a
   * 1,200-digit number would make the object unreadable).
   */
  @Test
  void storedPayloadNumbersAreSentAsWritten() {
    String digits = "0." + "5".repeat(1_200);
    String payload =
        "{\"price\":1.10,\"exp\":1.5E+3,\"big\":12345678901234567890123,\"long\":"
            + digits
            + "}";
    var serialization = new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
    LambdaInvocation resource =
        serialization.unmarshal(
            "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\",\"kind\":\"LambdaInvocation\","
                + "\"metadata\":{\"name\":\"numbers\"},\"spec\":{\"functionName\":\"f\","
                + "\"payload\":"
                + payload
                + ",\"onDelete\":{\"payload\":[2.50]}}}",
            LambdaInvocation.class);

    for (LambdaInvocation read : List.of(resource, serialization.clone(resource))) {
      var plan = ((Valid) validator.validate(read)).plan();
      assertThat(plan.payload()).asString(StandardCharsets.UTF_8).isEqualTo(payload);
      assertThat(plan.onDeletePayload().map(b -> new String(b, StandardCharsets.UTF_8)))
          .contains("[2.50]");
    }
  }

  // Null map values reach the operator only from a source no API server checked (a file, a mock).

  @Test
  void nullMapValuesAreInvalidNamingTheirEntry() {
    var resource = minimal();
    var keys = new HashMap<String, String>();
    keys.put("api_key", null);
    var labels = new HashMap<String, String>();
    labels.put("team", null);
    var annotations = new HashMap<String, String>();
    annotations.put("example.com/owner", null);
    secret(resource).setKeys(keys);
    secret(resource).setLabels(labels);
    secret(resource).setAnnotations(annotations);

    assertThat(violations(resource))
        .containsExactly(
            "spec.secret.keys.api_key: must be a JSON Pointer (RFC 6901) such as /api_key, got"
                + " null",
            "spec.secret.labels.team: must be a label value, got null",
            "spec.secret.annotations.example.com/owner: must be a string, got null");
  }

  @Test
  void nullMapKeysAndMissingMetadataAreInvalidNamingTheField() {
    var resource = minimal();
    resource.setMetadata(null);
    var keys = new HashMap<String, String>();
    keys.put(null, "/a");
    var labels = new HashMap<String, String>();
    labels.put(null, "x");
    var annotations = new HashMap<String, String>();
    annotations.put(null, "x");
    secret(resource).setKeys(keys);
    secret(resource).setLabels(labels);
    secret(resource).setAnnotations(annotations);

    assertThat(violations(resource))
        .containsExactly(
            "metadata.name: required",
            "spec.secret.keys: a key is null",
            "spec.secret.labels: a key is null",
            "spec.secret.annotations: a key is null");
  }

  @Test
  void aMapOverItsEntryLimitIsOneViolationHoweverLarge() {
    var resource = minimal();
    var keys = new HashMap<String, String>();
    for (int i = 0; i < 100_000; i++) {
      keys.put("bad key " + i, "not a pointer");
    }
    secret(resource).setKeys(keys);

    assertThat(violations(resource))
        .containsExactly("spec.secret.keys: at most 64 keys, got 100000");
  }

  @Test
  void longValuesAreQuotedCutShort() {
    var resource = minimal();
    resource.getSpec().setRegion("x".repeat(1_000_000));

    assertThat(violations(resource))
        .containsExactly(
            "spec.region: must be an AWS region name such as eu-west-1, got '"
                + "x".repeat(SpecValidator.MAX_QUOTED_LENGTH)
                + "…' (1000000 characters)");
  }

  /**
   * Every field set to each of many odd JSON values, one at a time: validate answers Valid or
   * Invalid, never throws, and every violation names a field. A value the model cannot hold (an
   * object where a string belongs) fails earlier, in deserialization, and is left out.
   */
  @Test
  void validateNeverThrowsOnHostileValues() {
    List<String> fields =
        List.of(
            "functionName",
            "qualifier",
            "region",
            "payload",
            "clientContext",
            "logType",
            "timeout",
            "refreshInterval",
            "invokePolicy",
            "secret",
            "secret.name",
            "secret.ttl",
            "secret.keys",
            "secret.labels",
            "secret.annotations");
    List<JsonNode> values = hostileValues();
    int checked = 0;
    for (String field : fields) {
      for (JsonNode value : values) {
        ObjectNode object = minimalObject();
        ObjectNode parent = (ObjectNode) object.get("spec");
        String name = field;
        if (field.startsWith("secret.")) {
          parent = parent.putObject("secret");
          name = field.substring("secret.".length());
        }
        parent.set(name, value);
        LambdaInvocation resource;
        try {
          resource = SpecExamples.toResource(object);
        } catch (RuntimeException notThisModel) {
          continue;
        }
        String what = "spec." + field + " = " + abbreviate(value.toString());
        Result result;
        try {
          result = validator.validate(resource);
        } catch (Throwable thrown) {
          throw new AssertionError(what + ": validate threw " + thrown, thrown);
        }
        if (result instanceof Invalid invalid) {
          // The rest of the spec is valid, so every violation is about the field changed.
          assertThat(invalid.violations())
              .as(what)
              .isNotEmpty()
              .allSatisfy(v -> assertThat(v).as(what).startsWith("spec." + field));
          assertThat(invalid.message().length()).as(what).isLessThan(2_000);
        }
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(fields.size() * 10);
  }

  private static List<JsonNode> hostileValues() {
    var factory = JsonNodeFactory.instance;
    List<JsonNode> values = new ArrayList<>();
    for (String text :
        List.of(
            "",
            " ",
            "\u0000",
            "\n",
            "null",
            "0",
            "-1s",
            "1.5h",
            "1d",
            "h",
            "µs",
            "0s",
            "99999999999999999999h",
            "9000000000000h",
            "2562048h",
            "9223372036854775807ns",
            "9223372036854775808ns",
            "00000000000000000000000000001h",
            "/",
            "~",
            "~2",
            "..",
            ".",
            "/" + "a".repeat(1023),
            "~0".repeat(512),
            "$LATEST",
            "arn:aws:lambda:eu-west-1:123456789012:function:",
            "arn:aws:lambda:eu-west-1:123456789012:function:f:",
            "f:" + "q".repeat(10_000),
            "aGVsbG8gd29ybGQ=",
            "WzEsMiwzXQ==",
            "bnVsbA==",
            "====",
            "e30",
            "A".repeat(3584),
            "😀".repeat(100),
            "\uD800",
            "x".repeat(1_000_000))) {
      values.add(factory.textNode(text));
    }
    values.add(factory.nullNode());
    values.add(factory.numberNode(5));
    values.add(factory.numberNode(-1));
    values.add(factory.numberNode(1e308));
    values.add(factory.numberNode(new BigInteger("9".repeat(400))));
    values.add(factory.booleanNode(true));
    values.add(factory.objectNode());
    values.add(factory.arrayNode());
    values.add(factory.arrayNode().addNull());
    values.add(factory.objectNode().putNull("a"));
    values.add(factory.objectNode().put("", ""));
    values.add(factory.objectNode().put("result", "/x").put("a", 5).put("b", true));
    values.add(factory.objectNode().put("a".repeat(100_000), "b".repeat(100_000)));
    values.add(factory.objectNode().put("..", "/").put("lambda.ephemeral.dev/x", "y"));
    ObjectNode many = factory.objectNode();
    for (int i = 0; i < 1000; i++) {
      many.put("k" + i, "/v" + i);
    }
    values.add(many);
    JsonNode deep = factory.objectNode();
    for (int i = 0; i < 10_000; i++) {
      deep = factory.arrayNode().add(deep);
    }
    values.add(deep);
    return values;
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "…";
  }

  private List<String> violations(LambdaInvocation resource) {
    Result result = validator.validate(resource);
    assertThat(result).isInstanceOf(Invalid.class);
    return ((Invalid) result).violations();
  }

  private static ObjectNode minimalObject() {
    return MINIMAL.deepCopy();
  }

  private static LambdaInvocation minimal() {
    return SpecExamples.toResource(minimalObject());
  }

  private static SecretSpec secret(LambdaInvocation resource) {
    if (resource.getSpec().getSecret() == null) {
      resource.getSpec().setSecret(new SecretSpec());
    }
    return resource.getSpec().getSecret();
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
    if (!secret.has("rolloutRestartTargets")) {
      assertThat(plan.rolloutRestartTargets()).isEmpty();
    }
    if (!spec.has("onDelete")) {
      assertThat(plan.onDeletePayload()).isEmpty();
    }
    assertThat(plan.secretShape().type())
        .isEqualTo(Optional.ofNullable(text(secret, "type")).orElse("Opaque"));
    assertThat(plan.secretShape().templates()).isEqualTo(map(secret.path("template")));

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
      case "onDeletePayload" ->
          assertThat(plan.onDeletePayload().map(p -> new String(p, StandardCharsets.UTF_8)))
              .as(what)
              .isEqualTo(Optional.ofNullable(nullableText(expected)));
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
      case "rolloutRestartTargets" ->
          assertThat(plan.rolloutRestartTargets().stream().map(Object::toString).toList())
              .as(what)
              .containsExactlyElementsOf(
                  java.util.stream.StreamSupport.stream(expected.spliterator(), false)
                      .map(JsonNode::asText)
                      .toList());
      case "secretType" ->
          assertThat(plan.secretShape().type()).as(what).isEqualTo(expected.asText());
      case "secretTemplates" ->
          assertThat(plan.secretShape().templates()).as(what).isEqualTo(map(expected));
      case "payloadFrom" ->
          assertThat(plan.payloadFrom().stream().map(SpecValidatorTest::describe).toList())
              .as(what)
              .isEqualTo(
                  java.util.stream.StreamSupport.stream(expected.spliterator(), false)
                      .map(JsonNode::asText)
                      .toList());
      case "successCheck" ->
          assertThat(
                  plan.successCheck()
                      .map(
                          c ->
                              c.expression() + " | " + c.message() + " | " + c.writeRejectedResult()))
              .as(what)
              .isEqualTo(Optional.ofNullable(nullableText(expected)));
      case "previousValueRetention" ->
          assertThat(plan.previousValueRetention()).as(what).isEqualTo(duration(expected));
      default ->
          throw new AssertionError(what + " is not a field of InvocationPlan this test knows");
    }
  }

  /** "Kind name key -> pointer Format [optional]", to compare with the table. */
  private static String describe(PayloadSource source) {
    String pointer = source.pointer().matches() ? "(whole payload)" : source.pointer().toString();
    return source.kind()
        + " "
        + source.name()
        + " "
        + source.key()
        + " -> "
        + pointer
        + (source.json() ? " Json" : " String")
        + (source.optional() ? " optional" : "");
  }

  private void checkInvalid(Example example) {
    LambdaInvocation resource = SpecExamples.toResource(example.object());
    Result result = validator.validate(resource);
    assertThat(result).as(example.name() + " must be Invalid").isInstanceOf(Invalid.class);
    List<String> violations = ((Invalid) result).violations();
    assertThat(violations).as(example.name()).isNotEmpty();
    // Each violation starts with the path it is about (that field, or a part of it, as the CRD's
    // rules name it); the example breaks only the rule of its field.
    assertThat(violations)
        .as("%s: every violation must name %s", example.name(), example.field())
        .allSatisfy(
            v ->
                assertThat(v)
                    .matches(java.util.regex.Pattern.quote(example.field()) + "[.:\\[].*"));
    assertThat(((Invalid) result).message()).contains(example.field());
  }

  private static LambdaInvocation withPayload(JsonNode payload) {
    var object = minimalObject();
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
