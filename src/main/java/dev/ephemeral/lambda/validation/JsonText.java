package dev.ephemeral.lambda.validation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
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
 * well before 10,000). Both methods here walk the value with a stack of their own.
 */
public final class JsonText {

  /** Strict JSON (no comments, no trailing tokens) without a nesting limit. */
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
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
  static boolean isObject(byte[] bytes) {
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
