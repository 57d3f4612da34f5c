package dev.ephemeral.lambda.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * JSON text in and out at any nesting depth: an API server accepts 10,000 levels, while Jackson's
 * defaults stop at 1,000 and its tree serializer recurses once per level (and overflows the stack
 * well before 10,000). The methods here walk the value with a stack of their own.
 *
 * <p>Numbers are read as written and written back as read (see {@link WrittenDecimal}): Jackson
 * would read {@code 1e400} as a double, Infinity, and write it as the string "Infinity".
 */
public final class JsonText {

  /**
   * The longest number, in characters, the operator reads (Jackson's default stops at 1,000).
   * Reading a number costs time that grows faster than its length, so there is a limit; no number
   * a float64 or an int64 holds, as an API server stores them, comes near it.
   */
  public static final int MAX_NUMBER_LENGTH = 10_000;

  /** Strict JSON (no comments, no trailing tokens) without a nesting limit. */
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(Integer.MAX_VALUE)
                  .maxNumberLength(MAX_NUMBER_LENGTH)
                  .build())
          .streamWriteConstraints(
              StreamWriteConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
          .build();

  private JsonText() {}

  /**
   * Compact UTF-8 JSON text of {@code value}, as {@code codec} writes it: {@code codec} writes
   * every scalar, this method the objects and arrays around them.
   */
  public static byte[] write(JsonNode value, ObjectCodec codec) throws IOException {
    var out = new ByteArrayOutputStream();
    try (JsonGenerator generator = JSON.createGenerator(out)) {
      generator.setCodec(codec);
      Deque<Open> open = new ArrayDeque<>();
      JsonNode next = value;
      do {
        if (next != null) {
          start(generator, next, open);
        }
        next = advance(generator, open);
      } while (next != null || !open.isEmpty());
    }
    return out.toByteArray();
  }

  /** An object or an array being written: the members or the elements still to write. */
  private record Open(Iterator<Map.Entry<String, JsonNode>> members, Iterator<JsonNode> elements) {}

  /** Writes a scalar, or opens an object or array. */
  private static void start(JsonGenerator generator, JsonNode value, Deque<Open> open)
      throws IOException {
    if (value.isObject()) {
      generator.writeStartObject();
      open.push(new Open(value.properties().iterator(), null));
    } else if (value.isArray()) {
      generator.writeStartArray();
      open.push(new Open(null, value.elements()));
    } else {
      generator.writeTree(value);
    }
  }

  /**
   * The next value of the innermost open container (after writing its member name), or null after
   * closing that container because nothing is left in it.
   */
  private static JsonNode advance(JsonGenerator generator, Deque<Open> open) throws IOException {
    Open innermost = open.peek();
    if (innermost == null) {
      return null;
    }
    if (innermost.members() != null) {
      if (innermost.members().hasNext()) {
        var member = innermost.members().next();
        generator.writeFieldName(member.getKey());
        return member.getValue();
      }
      generator.writeEndObject();
    } else {
      if (innermost.elements().hasNext()) {
        return innermost.elements().next();
      }
      generator.writeEndArray();
    }
    open.pop();
    return null;
  }

  /** A number beyond the range of a float64, refused where that is asked for. */
  public static final class NumberOutOfRangeException extends IOException {
    NumberOutOfRangeException() {
      super("a number beyond the range of a 64-bit float");
    }
  }

  /**
   * The one JSON value of {@code json}, numbers as written.
   *
   * @param finite whether a number beyond the range of a float64 ({@code 1e400}, which most JSON
   *     parsers read as Infinity or refuse) is refused
   * @throws NumberOutOfRangeException for such a number, when {@code finite}
   * @throws com.fasterxml.jackson.core.exc.StreamConstraintsException for a number longer than
   *     {@link #MAX_NUMBER_LENGTH}
   * @throws IOException when {@code json} is not exactly one JSON value; the message may quote the
   *     text, so it is never shown
   */
  public static JsonNode read(byte[] json, boolean finite) throws IOException {
    try (JsonParser parser = JSON.createParser(json)) {
      if (parser.nextToken() == null) {
        throw new JsonParseException(parser, "no JSON value");
      }
      JsonNode value = read(parser, finite);
      if (parser.nextToken() != null) {
        throw new JsonParseException(parser, "text after the JSON value");
      }
      return value;
    }
  }

  /**
   * The value at {@code parser}'s current token (which must be its first), numbers as written; the
   * parser is left at the value's last token.
   */
  public static JsonNode read(JsonParser parser) throws IOException {
    return read(parser, false);
  }

  private static JsonNode read(JsonParser parser, boolean finite) throws IOException {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    Deque<ContainerNode<?>> open = new ArrayDeque<>();
    JsonNode root = null;
    String name = null;
    JsonToken token = parser.currentToken();
    while (true) {
      JsonNode value =
          switch (token) {
            case START_OBJECT -> nodes.objectNode();
            case START_ARRAY -> nodes.arrayNode();
            case VALUE_STRING -> nodes.textNode(parser.getText());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> number(parser, finite);
            case VALUE_TRUE -> nodes.booleanNode(true);
            case VALUE_FALSE -> nodes.booleanNode(false);
            case VALUE_NULL -> nodes.nullNode();
            case FIELD_NAME -> {
              name = parser.currentName();
              yield null;
            }
            case END_OBJECT, END_ARRAY -> {
              open.pop();
              yield null;
            }
            default -> throw new JsonParseException(parser, "not a JSON value: " + token);
          };
      if (value != null) {
        if (open.isEmpty()) {
          root = value;
        } else if (open.peek() instanceof ObjectNode object) {
          object.set(name, value);
        } else {
          ((ArrayNode) open.peek()).add(value);
        }
        if (value instanceof ContainerNode<?> container) {
          open.push(container);
        }
      }
      if (open.isEmpty()) {
        return root;
      }
      token = parser.nextToken();
    }
  }

  /** An integer as Jackson reads it (exactly); a fraction or an exponent as written. */
  private static JsonNode number(JsonParser parser, boolean finite) throws IOException {
    String text = parser.getText();
    if (finite && Double.isInfinite(Double.parseDouble(text))) {
      throw new NumberOutOfRangeException();
    }
    if (parser.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
      try {
        return DecimalNode.valueOf(new WrittenDecimal(text));
      } catch (NumberFormatException e) {
        // Not JSON's syntax (YAML's .inf, say): read as Jackson reads it.
        return DoubleNode.valueOf(parser.getDoubleValue());
      }
    }
    return switch (parser.getNumberType()) {
      case INT -> IntNode.valueOf(parser.getIntValue());
      case LONG -> LongNode.valueOf(parser.getLongValue());
      default -> BigIntegerNode.valueOf(parser.getBigIntegerValue());
    };
  }

  /** {@code bytes} as text, when they are valid UTF-8 (no malformed or unmappable sequence). */
  public static Optional<String> utf8(byte[] bytes) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code bytes} are UTF-8 text of exactly one JSON object. */
  public static boolean isObject(byte[] bytes) {
    Optional<String> text = utf8(bytes);
    if (text.isEmpty()) {
      return false;
    }
    try (JsonParser parser = JSON.createParser(text.get())) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      parser.skipChildren();
      return parser.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }
}
