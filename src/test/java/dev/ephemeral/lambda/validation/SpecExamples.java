package dev.ephemeral.lambda.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shared example LambdaInvocations in {@code src/test/resources/specs/}: valid ones, and at
 * least one invalid one per field rule. The same tables drive the CRD checks ({@code
 * CrdSchemaValidationTest}) and the operator's own checks ({@link SpecValidatorTest}), so admission
 * and the operator are held to the same rules.
 */
public final class SpecExamples {

  public static final String VALID = "specs/valid-specs.yaml";
  public static final String INVALID = "specs/invalid-specs.yaml";

  /**
   * One row of a table.
   *
   * @param field for an invalid example, the spec path every complaint must name (such as {@code
   *     spec.timeout}); null for a valid one
   * @param expect for a valid example, what SpecValidator's plan must hold; null for an invalid one
   * @param operatorOnly for an invalid example that admission lets in, why the CRD cannot refuse it
   *     (only the operator does); null when the CRD refuses it too, and for a valid example
   */
  public record Example(
      String name, String field, ObjectNode object, ObjectNode expect, String operatorOnly) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();

  /** {{x*N}}: x repeated N times, so boundary lengths stay readable in the tables. */
  private static final Pattern REPEAT = Pattern.compile("\\{\\{([^*{}]+)\\*([0-9]+)}}");

  private SpecExamples() {}

  public static List<Example> valid() {
    return load(VALID, false);
  }

  public static List<Example> invalid() {
    return load(INVALID, true);
  }

  /**
   * The object as the operator sees it: its JSON (as the API server sends it) deserialized into the
   * model by fabric8.
   */
  public static LambdaInvocation toResource(JsonNode object) {
    return KUBERNETES.unmarshal(object.toString(), LambdaInvocation.class);
  }

  /**
   * The value as CEL sees it in Kubernetes: maps, lists, strings, booleans, int as Long, double as
   * Double. JSON null becomes Java null.
   */
  public static Object toJava(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isObject()) {
      var map = new LinkedHashMap<String, Object>();
      node.fields().forEachRemaining(e -> map.put(e.getKey(), toJava(e.getValue())));
      return map;
    }
    if (node.isArray()) {
      var list = new ArrayList<Object>();
      node.forEach(item -> list.add(toJava(item)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.longValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    return node.asText();
  }

  private static List<Example> load(String resource, boolean invalid) {
    JsonNode table;
    try (InputStream in = SpecExamples.class.getClassLoader().getResourceAsStream(resource)) {
      Objects.requireNonNull(in, () -> "missing test resource " + resource);
      table = YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!table.isArray() || table.isEmpty()) {
      throw new IllegalStateException(resource + " must be a non-empty list");
    }
    var names = new HashSet<String>();
    var examples = new ArrayList<Example>();
    for (JsonNode row : table) {
      String name = row.path("name").asText(null);
      if (name == null || !names.add(name)) {
        throw new IllegalStateException(resource + ": missing or duplicate name " + name);
      }
      if (!row.path("object").isObject()) {
        throw new IllegalStateException(resource + ": " + name + " has no object");
      }
      ObjectNode object = (ObjectNode) expand(row.get("object"));
      String field = null;
      ObjectNode expect = null;
      String operatorOnly = row.path("operatorOnly").asText(null);
      if (invalid) {
        field = row.path("field").asText(null);
        if (field == null || !(field.startsWith("spec.") || field.equals("metadata.name"))) {
          throw new IllegalStateException(
              resource + ": " + name + " needs a field spec.* or metadata.name");
        }
        if (operatorOnly != null && operatorOnly.isBlank()) {
          throw new IllegalStateException(
              resource + ": " + name + ": operatorOnly must say why the CRD admits it");
        }
      } else {
        if (operatorOnly != null) {
          throw new IllegalStateException(resource + ": " + name + ": operatorOnly is for invalid");
        }
        if (!row.path("expect").isObject() || !row.path("expect").has("payload")) {
          throw new IllegalStateException(resource + ": " + name + " needs expect.payload");
        }
        expect = (ObjectNode) expand(row.get("expect"));
      }
      examples.add(new Example(name, field, object, expect, operatorOnly));
    }
    return List.copyOf(examples);
  }

  private static JsonNode expand(JsonNode node) {
    if (node.isTextual()) {
      return TextNode.valueOf(expand(node.asText()));
    }
    if (node.isObject()) {
      ObjectNode copy = JsonNodeFactory.instance.objectNode();
      node.fields().forEachRemaining(e -> copy.set(expand(e.getKey()), expand(e.getValue())));
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = JsonNodeFactory.instance.arrayNode();
      node.forEach(item -> copy.add(expand(item)));
      return copy;
    }
    return node;
  }

  private static String expand(String text) {
    Matcher m = REPEAT.matcher(text);
    var out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(
          out, Matcher.quoteReplacement(m.group(1).repeat(Integer.parseInt(m.group(2)))));
    }
    m.appendTail(out);
    return out.toString();
  }
}
