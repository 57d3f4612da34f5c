package dev.ephemeral.lambda.inputs;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.model.PayloadSource;
import java.util.List;
import java.util.Optional;

/**
 * Writes values into a payload at JSON Pointers (RFC 6901), in order. Pure: the payload given is
 * not changed. The rules, which docs/resource.md states too:
 *
 * <ul>
 *   <li>the empty pointer replaces the whole payload;
 *   <li>in an object, a member that exists is replaced, and a missing one is added; missing objects
 *       on the way are created (so {@code /db/host} into {@code {}} gives {@code
 *       {"db":{"host":...}}});
 *   <li>in an array, an existing index replaces that element and {@code -} appends; an index past
 *       the end, or a token that is not an index, is an error;
 *   <li>going through a string, number, boolean or null is an error.
 * </ul>
 *
 * Messages name the entry, its pointer and the JSON type in the way: never a value.
 */
public final class PayloadMerge {

  private PayloadMerge() {}

  /** A value to write, read for {@code source}. */
  public record Input(PayloadSource source, JsonNode value) {}

  /**
   * @return the merged payload, or why an entry could not be written
   */
  public static Result merge(JsonNode payload, List<Input> inputs) {
    JsonNode root = payload.deepCopy();
    for (Input input : inputs) {
      JsonPointer pointer = input.source().pointer();
      if (pointer.matches()) {
        root = input.value().deepCopy();
        continue;
      }
      Optional<String> failure = write(root, pointer, input.value().deepCopy());
      if (failure.isPresent()) {
        return new Failed(input.source().field() + ".pointer: " + pointer + " " + failure.get());
      }
    }
    return new Merged(root);
  }

  /** The outcome of a merge. */
  public sealed interface Result permits Merged, Failed {}

  public record Merged(JsonNode payload) implements Result {}

  /**
   * @param message names the entry and the pointer, and what is in the way
   */
  public record Failed(String message) implements Result {}

  private static Optional<String> write(JsonNode root, JsonPointer pointer, JsonNode value) {
    JsonNode current = root;
    JsonPointer rest = pointer;
    StringBuilder at = new StringBuilder();
    while (true) {
      String token = rest.getMatchingProperty();
      JsonPointer tail = rest.tail();
      boolean last = tail.matches();
      if (current instanceof ObjectNode object) {
        if (last) {
          object.set(token, value);
          return Optional.empty();
        }
        JsonNode child = object.get(token);
        current = child != null ? child : object.putObject(token);
      } else if (current instanceof ArrayNode array) {
        if (token.equals("-") && last) {
          array.add(value);
          return Optional.empty();
        }
        int index = rest.getMatchingIndex();
        if (index < 0 || index >= array.size()) {
          return Optional.of(
              "cannot be written: "
                  + where(at)
                  + " is an array of "
                  + array.size()
                  + " elements, and '"
                  + token
                  + "' is not one of its indexes (nor '-', to append)");
        }
        if (last) {
          array.set(index, value);
          return Optional.empty();
        }
        current = array.get(index);
      } else {
        return Optional.of(
            "cannot be written: "
                + where(at)
                + " is "
                + typeOf(current)
                + ", not an object or an array");
      }
      at.append('/').append(token.replace("~", "~0").replace("/", "~1"));
      rest = tail;
    }
  }

  private static String where(StringBuilder at) {
    return at.isEmpty() ? "the payload" : "the payload's " + at;
  }

  private static String typeOf(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
