package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.sandbox.ClusterValues.NonFiniteNumberException;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads a stream of JSON documents as kubectl and an API server do: nested at most {@link
 * ClusterValues#MAX_DEPTH} levels, a number too large for a float64 ({@code 1e400}) refused, an
 * object that repeats a key refused (kubectl's field validation, strict by default, refuses a
 * duplicate field). Nothing here recurses.
 */
final class KubectlJsonReader {

  /** The depth is checked here, to word the message; the parser only must not stop first. */
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxNestingDepth(ClusterValues.MAX_DEPTH + 1).build())
          .build();

  private final String source;

  KubectlJsonReader(String source) {
    this.source = source;
  }

  /** The documents of {@code text} in order; null for a {@code null} document. */
  List<JsonNode> read(String text) throws ManifestException {
    List<JsonNode> documents = new ArrayList<>();
    try (JsonParser parser = JSON.createParser(text)) {
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        documents.add(document(parser, token, documents.size() + 1));
      }
    } catch (JsonProcessingException e) {
      throw new ManifestException(
          source
              + " is not valid JSON: "
              + e.getOriginalMessage().lines().findFirst().orElse("")
              + " at line "
              + e.getLocation().getLineNr());
    } catch (IOException e) {
      throw new ManifestException("cannot read " + source + ": " + e.getMessage());
    }
    return documents;
  }

  /** One top-level value, built with a stack of the objects and arrays still open. */
  private JsonNode document(JsonParser parser, JsonToken first, int document)
      throws IOException, ManifestException {
    Deque<ContainerNode<?>> open = new ArrayDeque<>();
    Deque<String> paths = new ArrayDeque<>();
    JsonNode root = null;
    String pendingKey = null;
    JsonToken token = first;
    while (true) {
      if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
        open.pop();
        paths.pop();
      } else if (token == JsonToken.FIELD_NAME) {
        pendingKey = parser.currentName();
        if (((ObjectNode) open.peek()).has(pendingKey)) {
          throw new ManifestException(
              source
                  + ": document "
                  + document
                  + " at line "
                  + parser.currentLocation().getLineNr()
                  + ": duplicate key \""
                  + pendingKey
                  + "\" (kubectl refuses a manifest that repeats a key)");
        }
      } else {
        String parentPath = paths.isEmpty() ? "" : paths.peek();
        String path =
            open.isEmpty()
                ? ""
                : open.peek() instanceof ObjectNode
                    ? ClusterValues.child(parentPath, pendingKey)
                    : ClusterValues.index(parentPath, ((ArrayNode) open.peek()).size());
        JsonNode value = value(parser, token, path, document);
        if (open.isEmpty()) {
          root = value;
        } else if (open.peek() instanceof ObjectNode object) {
          object.set(pendingKey, value);
        } else {
          ((ArrayNode) open.peek()).add(value);
        }
        if (value instanceof ContainerNode<?> container) {
          if (open.size() + 1 > ClusterValues.MAX_DEPTH) {
            throw new ManifestException(
                source
                    + ": document "
                    + document
                    + " is nested more than "
                    + ClusterValues.MAX_DEPTH
                    + " levels deep at line "
                    + parser.currentLocation().getLineNr()
                    + ", deeper than a Kubernetes API server accepts");
          }
          open.push(container);
          paths.push(path);
        }
      }
      if (open.isEmpty()) {
        return root.isNull() ? null : root;
      }
      token = parser.nextToken();
    }
  }

  private JsonNode value(JsonParser parser, JsonToken token, String path, int document)
      throws IOException, ManifestException {
    try {
      return switch (token) {
        case START_OBJECT -> ClusterValues.object();
        case START_ARRAY -> ClusterValues.nodes().arrayNode();
        case VALUE_STRING -> ClusterValues.nodes().textNode(parser.getText());
        case VALUE_NUMBER_INT -> ClusterValues.integer(parser.getBigIntegerValue());
        case VALUE_NUMBER_FLOAT -> ClusterValues.decimal(parser.getDecimalValue());
        case VALUE_TRUE -> ClusterValues.nodes().booleanNode(true);
        case VALUE_FALSE -> ClusterValues.nodes().booleanNode(false);
        case VALUE_NULL -> ClusterValues.nodes().nullNode();
        default -> throw new ManifestException(source + " is not valid JSON");
      };
    } catch (NonFiniteNumberException e) {
      throw ManifestLoader.nonFinite(source, document, path);
    }
  }
}
