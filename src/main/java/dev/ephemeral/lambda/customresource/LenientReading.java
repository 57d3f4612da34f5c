package dev.ephemeral.lambda.customresource;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.ephemeral.lambda.json.JsonText;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the spec and status of LambdaInvocations and LambdaInvocationPolicies so that one object
 * that does not fit the model (a field of another type, as an older or edited CRD, a restore or a
 * write that bypassed the schema lets through) never makes the whole list unreadable, which would
 * stop the operator for every namespace: such a spec is read as {@link
 * LambdaInvocationSpec#unreadable(String)} or {@link LambdaInvocationPolicySpec#unreadable(String)}
 * and reported as InvalidSpec (a policy's is then ignored: it allows nothing), such a status as
 * none.
 */
final class LenientReading {

  private static final Logger LOG = LoggerFactory.getLogger(LenientReading.class);

  private LenientReading() {}

  static final class Spec extends JsonDeserializer<LambdaInvocationSpec> {
    @Override
    public LambdaInvocationSpec deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      // Read with numbers as written, so that the payloads below read them as written too.
      JsonNode tree = JsonText.read(parser);
      try {
        return context.readTreeAsValue(tree, LambdaInvocationSpec.class);
      } catch (JsonMappingException e) {
        return LambdaInvocationSpec.unreadable(describe("spec", e));
      }
    }
  }

  /**
   * A payload, its numbers as written: Jackson's own reading would turn {@code 1e400} into
   * Infinity (sent as the string "Infinity") and {@code 1.10} into 1.1.
   */
  static final class Payload extends JsonDeserializer<JsonNode> {
    @Override
    public JsonNode deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      return JsonText.read(parser);
    }

    /** A JSON null is a null node, as Jackson reads it into a JsonNode field. */
    @Override
    public JsonNode getNullValue(DeserializationContext context) {
      return NullNode.getInstance();
    }
  }

  static final class Status extends JsonDeserializer<LambdaInvocationStatus> {
    @Override
    public LambdaInvocationStatus deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      return statusOrNone(parser, context, LambdaInvocationStatus.class, "LambdaInvocation");
    }
  }

  static final class PolicySpec extends JsonDeserializer<LambdaInvocationPolicySpec> {
    @Override
    public LambdaInvocationPolicySpec deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      JsonNode tree = parser.readValueAsTree();
      try {
        return context.readTreeAsValue(tree, LambdaInvocationPolicySpec.class);
      } catch (JsonMappingException e) {
        return LambdaInvocationPolicySpec.unreadable(describe("spec", e));
      }
    }
  }

  static final class PolicyStatus extends JsonDeserializer<LambdaInvocationPolicyStatus> {
    @Override
    public LambdaInvocationPolicyStatus deserialize(
        JsonParser parser, DeserializationContext context) throws IOException {
      return statusOrNone(
          parser, context, LambdaInvocationPolicyStatus.class, "LambdaInvocationPolicy");
    }
  }

  /** The operator writes the status again from scratch: one it cannot read is dropped. */
  private static <T> T statusOrNone(
      JsonParser parser, DeserializationContext context, Class<T> type, String kind)
      throws IOException {
    JsonNode tree = parser.readValueAsTree();
    try {
      return context.readTreeAsValue(tree, type);
    } catch (JsonMappingException e) {
      LOG.atWarn()
          .addKeyValue("kind", kind)
          .addKeyValue("field", describe("status", e))
          .log("Ignoring a status that does not fit the model");
      return null;
    }
  }

  /** Names the field and the type it should have (or that it is unknown): never its value. */
  static String describe(String root, JsonMappingException e) {
    String path =
        root
            + e.getPath().stream()
                .map(
                    ref ->
                        ref.getFieldName() != null
                            ? "." + ref.getFieldName()
                            : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining());
    if (e instanceof UnrecognizedPropertyException) {
      // Such as a field a newer CRD added: the object is not read in part.
      return path + ": is not a field of the model this operator reads";
    }
    String expected =
        e instanceof MismatchedInputException mismatch
                && mismatch.getTargetType() != null
            ? expected(mismatch.getTargetType())
            : "the type the schema declares";
    return path + ": must be " + expected;
  }

  private static String expected(Class<?> type) {
    if (type == String.class) {
      return "a string";
    }
    if (Map.class.isAssignableFrom(type)) {
      return "an object whose values are strings";
    }
    if (List.class.isAssignableFrom(type)) {
      return "a list";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
      return "a number";
    }
    return "an object";
  }
}
