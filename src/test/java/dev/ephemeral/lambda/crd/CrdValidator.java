package dev.ephemeral.lambda.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.ephemeral.lambda.validation.SpecExamples;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Admission as a Kubernetes API server would do it for this CRD, which the mock API server in the
 * other tests does not: the object is checked against {@code openAPIV3Schema} (OpenAPI 3.0
 * keywords, with networknt's json-schema-validator), every {@code x-kubernetes-validations} rule is
 * evaluated with CEL where its field is present, and fields the schema does not know are reported
 * (as kubectl's default {@code --validate=strict} does; the API server would otherwise silently
 * drop them). As the API server does first, a null whose field has a schema (a property, or a value
 * of a map with a value schema) is dropped before any check: {@code payload: null} is then a
 * missing required field, and a null map value is no entry at all.
 *
 * <p>Differences from a real API server, none of which matter for this CRD: {@code pattern} runs as
 * a Java regex rather than RE2 (CEL's {@code matches} does use RE2, via re2j), and there is no CEL
 * cost budget and no metadata validation.
 */
final class CrdValidator {

  /** One reason the object is rejected. */
  record Failure(String path, String kind, String schemaLocation, String message) {
    boolean names(String field) {
      return path.equals(field) || path.startsWith(field + ".") || path.startsWith(field + "[");
    }

    @Override
    public String toString() {
      return path + ": " + message + " [" + kind + " at " + schemaLocation + "]";
    }
  }

  /** Marks the message of a rule that failed with an error rather than evaluating to false. */
  static final String EVALUATION_ERROR = " (error: ";

  /** A CEL rule of the CRD, with where it sits in the schema. */
  record Rule(String schemaLocation, String path, String rule, String fieldPath) {}

  /** Keywords the CRD may use; anything else makes the test fail rather than be ignored. */
  private static final Set<String> KNOWN_KEYWORDS =
      Set.of(
          "type",
          "description",
          "properties",
          "required",
          "items",
          "additionalProperties",
          "pattern",
          "minLength",
          "maxLength",
          "minItems",
          "maxItems",
          "minProperties",
          "maxProperties",
          "minimum",
          "maximum",
          "enum",
          "x-kubernetes-validations",
          "x-kubernetes-preserve-unknown-fields",
          "x-kubernetes-list-type",
          "x-kubernetes-list-map-keys");

  private static final Set<String> RESOURCE_FIELDS = Set.of("apiVersion", "kind", "metadata");

  private final JsonNode schemaNode;
  private final JsonSchema schema;
  private final Cel cel;
  private final Map<String, CelAbstractSyntaxTree> compiled = new HashMap<>();
  private final List<Rule> rules = new ArrayList<>();

  CrdValidator(JsonNode openApiV3Schema) {
    this.schemaNode = openApiV3Schema;
    Set<String> unknown = new TreeSet<>();
    collect(openApiV3Schema, "", "", unknown);
    if (!unknown.isEmpty()) {
      throw new AssertionError(
          "the CRD schema uses keywords this test does not check: "
              + unknown
              + "; teach CrdValidator what Kubernetes does with them");
    }
    JsonMetaSchema metaSchema =
        JsonMetaSchema.builder(OpenApi30.getInstance())
            .keyword(new NonValidationKeyword("x-kubernetes-validations"))
            .keyword(new NonValidationKeyword("x-kubernetes-preserve-unknown-fields"))
            .keyword(new NonValidationKeyword("x-kubernetes-list-type"))
            .keyword(new NonValidationKeyword("x-kubernetes-list-map-keys"))
            .build();
    JsonSchemaFactory factory =
        JsonSchemaFactory.getInstance(
            SpecVersion.VersionFlag.V4,
            builder -> builder.metaSchema(metaSchema).defaultMetaSchemaIri(metaSchema.getIri()));
    this.schema = factory.getSchema(openApiV3Schema);
    // Kubernetes' CEL environment: standard library and macros (has, all, exists, ...), matches
    // searching with RE2 (not anchored), self of the type of the field, here dyn.
    this.cel =
        CelFactory.standardCelBuilder()
            .setOptions(CelOptions.current().enableRegexPartialMatch(true).build())
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("self", SimpleType.DYN)
            .build();
    for (Rule rule : rules) {
      compile(rule);
    }
  }

  /** Every CEL rule of the CRD. */
  List<Rule> rules() {
    return List.copyOf(rules);
  }

  /**
   * Schema locations (like {@code properties/spec/properties/timeout/pattern}) of every constraint
   * of a keyword.
   */
  List<String> constraints(String keyword) {
    List<String> found = new ArrayList<>();
    constraints(schemaNode, "", keyword, found);
    return found;
  }

  /** Everything that makes Kubernetes reject the object; empty when it would be admitted. */
  List<Failure> validate(JsonNode original, Set<String> rulesHeld) {
    JsonNode object = original.deepCopy();
    dropNulls(object, schemaNode);
    List<Failure> failures = new ArrayList<>();
    for (ValidationMessage message : schema.validate(object)) {
      String path = path(message.getInstanceLocation());
      if ("required".equals(message.getType()) && message.getProperty() != null) {
        path = path.isEmpty() ? message.getProperty() : path + "." + message.getProperty();
      }
      failures.add(
          new Failure(
              path,
              message.getType(),
              location(message.getSchemaLocation().getFragment()),
              message.getMessage()));
    }
    walk(schemaNode, "", object, "", true, failures, rulesHeld);
    return failures;
  }

  /**
   * Removes the nulls the API server removes before validation: those of a field the schema
   * describes and does not mark nullable or give a default (this CRD does neither: both keywords
   * are outside {@link #KNOWN_KEYWORDS}). The nulls inside a schemaless value such as the payload
   * stay.
   */
  private static void dropNulls(JsonNode value, JsonNode schema) {
    if (value instanceof ObjectNode object) {
      JsonNode properties = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        JsonNode fieldSchema =
            properties.has(name) ? properties.get(name) : additional.isObject() ? additional : null;
        if (fieldSchema == null) {
          continue;
        }
        if (object.get(name).isNull()) {
          object.remove(name);
        } else {
          dropNulls(object.get(name), fieldSchema);
        }
      }
    } else if (value.isArray() && schema.path("items").isObject()) {
      value.forEach(item -> dropNulls(item, schema.get("items")));
    }
  }

  private void walk(
      JsonNode schema,
      String location,
      JsonNode value,
      String path,
      boolean resourceRoot,
      List<Failure> failures,
      Set<String> rulesHeld) {
    // Kubernetes evaluates a field's rules only when the field is present (and not null).
    if (value == null || value.isNull() || value.isMissingNode()) {
      return;
    }
    JsonNode validations = schema.path("x-kubernetes-validations");
    for (int i = 0; i < validations.size(); i++) {
      JsonNode validation = validations.get(i);
      String ruleLocation = location + "/x-kubernetes-validations/" + i;
      String rule = validation.path("rule").asText();
      String fieldPath = validation.path("fieldPath").asText("");
      String failurePath =
          path.isEmpty() && fieldPath.startsWith(".") ? fieldPath.substring(1) : path + fieldPath;
      String message = validation.path("message").asText("failed rule: " + rule);
      try {
        Object result =
            cel.createProgram(compiled.get(rule)).eval(Map.of("self", SpecExamples.toJava(value)));
        if (Boolean.TRUE.equals(result)) {
          rulesHeld.add(ruleLocation);
        } else {
          failures.add(new Failure(failurePath, "x-kubernetes-validations", ruleLocation, message));
        }
      } catch (CelEvaluationException e) {
        // An error (such as duration('abc')) rejects the object too.
        failures.add(
            new Failure(
                failurePath,
                "x-kubernetes-validations",
                ruleLocation,
                message + EVALUATION_ERROR + e.getMessage() + ")"));
      }
    }
    if (value.isObject()) {
      JsonNode properties = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      boolean preserveUnknown =
          schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
      value
          .fields()
          .forEachRemaining(
              e -> {
                String name = e.getKey();
                String childPath = path.isEmpty() ? name : path + "." + name;
                if (properties.has(name)) {
                  walk(
                      properties.get(name),
                      location + "/properties/" + name,
                      e.getValue(),
                      childPath,
                      false,
                      failures,
                      rulesHeld);
                } else if (additional.isObject()) {
                  walk(
                      additional,
                      location + "/additionalProperties",
                      e.getValue(),
                      childPath,
                      false,
                      failures,
                      rulesHeld);
                } else if (!(resourceRoot && RESOURCE_FIELDS.contains(name))
                    && !preserveUnknown
                    && !additional.asBoolean(false)) {
                  failures.add(
                      new Failure(
                          childPath,
                          "unknown field",
                          location,
                          "unknown field \"" + childPath + "\""));
                }
              });
    } else if (value.isArray() && schema.path("items").isObject()) {
      checkMapListKeys(schema, location, value, path, failures);
      for (int i = 0; i < value.size(); i++) {
        walk(
            schema.get("items"),
            location + "/items",
            value.get(i),
            path + "[" + i + "]",
            false,
            failures,
            rulesHeld);
      }
    }
  }

  /**
   * A list of x-kubernetes-list-type map holds each combination of its x-kubernetes-list-map-keys
   * once; the API server refuses a duplicate ("Duplicate value").
   */
  private static void checkMapListKeys(
      JsonNode schema, String location, JsonNode list, String path, List<Failure> failures) {
    if (!"map".equals(schema.path("x-kubernetes-list-type").asText())) {
      return;
    }
    Set<List<String>> seen = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      List<String> key = new ArrayList<>();
      for (JsonNode name : schema.path("x-kubernetes-list-map-keys")) {
        key.add(list.get(i).path(name.asText()).toString());
      }
      if (!seen.add(key)) {
        failures.add(
            new Failure(
                path + "[" + i + "]",
                "x-kubernetes-list-map-keys",
                location,
                "Duplicate value: " + key));
      }
    }
  }

  private void collect(JsonNode schema, String location, String path, Set<String> unknown) {
    schema
        .fieldNames()
        .forEachRemaining(
            keyword -> {
              if (!KNOWN_KEYWORDS.contains(keyword)) {
                unknown.add(keyword + " (at " + location + ")");
              }
            });
    JsonNode validations = schema.path("x-kubernetes-validations");
    for (int i = 0; i < validations.size(); i++) {
      rules.add(
          new Rule(
              location + "/x-kubernetes-validations/" + i,
              path,
              validations.get(i).path("rule").asText(),
              validations.get(i).path("fieldPath").asText("")));
    }
    schema
        .path("properties")
        .fields()
        .forEachRemaining(
            e ->
                collect(
                    e.getValue(),
                    location + "/properties/" + e.getKey(),
                    path.isEmpty() ? e.getKey() : path + "." + e.getKey(),
                    unknown));
    if (schema.path("items").isObject()) {
      collect(schema.get("items"), location + "/items", path + "[]", unknown);
    }
    if (schema.path("additionalProperties").isObject()) {
      collect(
          schema.get("additionalProperties"),
          location + "/additionalProperties",
          path + ".*",
          unknown);
    }
  }

  private static void constraints(
      JsonNode schema, String location, String keyword, List<String> found) {
    if (schema.has(keyword)) {
      found.add(location + "/" + keyword);
    }
    schema
        .path("properties")
        .fields()
        .forEachRemaining(
            e -> constraints(e.getValue(), location + "/properties/" + e.getKey(), keyword, found));
    if (schema.path("items").isObject()) {
      constraints(schema.get("items"), location + "/items", keyword, found);
    }
    if (schema.path("additionalProperties").isObject()) {
      constraints(
          schema.get("additionalProperties"), location + "/additionalProperties", keyword, found);
    }
  }

  private void compile(Rule rule) {
    try {
      compiled.computeIfAbsent(
          rule.rule(),
          r -> {
            try {
              return cel.compile(r).getAst();
            } catch (CelValidationException e) {
              throw new IllegalArgumentException(e.getMessage(), e);
            }
          });
    } catch (IllegalArgumentException e) {
      throw new AssertionError(
          "x-kubernetes-validations rule at "
              + rule.path()
              + " does not compile: "
              + rule.rule()
              + "\n"
              + e.getMessage(),
          e);
    }
  }

  private static String path(JsonNodePath instanceLocation) {
    var parts = new ArrayList<String>();
    for (int i = 0; i < instanceLocation.getNameCount(); i++) {
      Object element = instanceLocation.getElement(i);
      if (element instanceof Integer index) {
        parts.add("[" + index + "]");
      } else {
        parts.add((parts.isEmpty() ? "" : ".") + element);
      }
    }
    return String.join("", parts);
  }

  private static String location(JsonNodePath fragment) {
    var builder = new StringBuilder();
    for (int i = 0; i < fragment.getNameCount(); i++) {
      builder.append('/').append(fragment.getElement(i));
    }
    return builder.toString();
  }
}
