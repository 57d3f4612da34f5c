package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.sandbox.ClusterValues.NonFiniteNumberException;
import dev.ephemeral.lambda.sandbox.GoYamlScalars.ScalarException;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import dev.ephemeral.lambda.sandbox.YamlNode.Kind;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * go-yaml v2's decoding of one document's node tree into untyped values, as JSON, with a stack of
 * its own: aliases expanded (and refused when they expand too much), merge keys applied, keys
 * turned into strings, scalars decoded as YAML 1.1 (see {@link GoYamlScalars}).
 */
final class GoYamlDecoder {

  /** go-yaml refuses a document whose decoding comes mostly from alias expansion. */
  private static final int ALIAS_RATIO_RANGE_LOW = 400_000;

  private static final int ALIAS_RATIO_RANGE_HIGH = 4_000_000;

  private final String source;
  private final int document;
  private final Deque<Open> open = new ArrayDeque<>();
  private int decodeCount;
  private int aliasCount;

  GoYamlDecoder(String source, int document) {
    this.source = source;
    this.document = document;
  }

  JsonNode decode(YamlNode root) throws ManifestException {
    if (root == null) {
      return null;
    }
    JsonNode value = value(root, "", 1, null);
    while (!open.isEmpty()) {
      Open current = open.peek();
      List<YamlNode> children = current.node.children;
      if (current.next >= children.size()) {
        open.pop();
      } else if (current.node.kind == Kind.SEQUENCE) {
        int index = current.next++;
        ((ArrayNode) current.target)
            .add(
                value(
                    children.get(index),
                    ClusterValues.index(current.path, index),
                    current.depth + 1,
                    current.aliases));
      } else {
        YamlNode key = children.get(current.next);
        YamlNode member = children.get(current.next + 1);
        current.next += 2;
        if (isMerge(key)) {
          merge(member, current);
        } else {
          String name = key(key, current);
          // Set now, filled after: a later key of the same name replaces it, as in go-yaml.
          ((ObjectNode) current.target)
              .set(
                  name,
                  value(
                      member,
                      ClusterValues.child(current.path, name),
                      current.depth + 1,
                      current.aliases));
        }
      }
    }
    return value.isNull() ? null : value;
  }

  /** The value of a node; a mapping or sequence is returned empty and filled by the loop. */
  private JsonNode value(YamlNode node, String path, int depth, Aliases aliases)
      throws ManifestException {
    count(aliases);
    if (node.kind == Kind.ALIAS) {
      if (aliases != null && aliases.contains(node)) {
        throw failure(path, "is an alias whose anchor contains it");
      }
      return value(node.target, path, depth, new Aliases(node, aliases));
    }
    if (node.kind == Kind.SCALAR) {
      return scalar(node, path);
    }
    if (depth > ClusterValues.MAX_DEPTH) {
      throw KubectlYamlReader.tooDeep(source, document, null);
    }
    ContainerNode<?> container =
        node.kind == Kind.MAPPING ? ClusterValues.object() : ClusterValues.nodes().arrayNode();
    open.push(new Open(node, container, path, depth, aliases));
    return container;
  }

  private JsonNode scalar(YamlNode node, String path) throws ManifestException {
    Object value;
    try {
      value = GoYamlScalars.decode(node.tag, node.text, node.plain);
    } catch (ScalarException e) {
      throw failure(path, e.getMessage());
    }
    try {
      if (value == null) {
        return ClusterValues.nodes().nullNode();
      }
      if (value instanceof String text) {
        return ClusterValues.nodes().textNode(text);
      }
      if (value instanceof Boolean bool) {
        return ClusterValues.nodes().booleanNode(bool);
      }
      if (value instanceof Long number) {
        return ClusterValues.integer(BigInteger.valueOf(number));
      }
      if (value instanceof BigInteger number) {
        return ClusterValues.integer(number);
      }
      return ClusterValues.floating((Double) value);
    } catch (NonFiniteNumberException e) {
      throw ManifestLoader.nonFinite(source, document, path);
    }
  }

  private String key(YamlNode key, Open within) throws ManifestException {
    String path = within.path.isEmpty() ? "the top level" : within.path;
    count(within.aliases);
    YamlNode node = key;
    if (node.kind == Kind.ALIAS) {
      count(within.aliases);
      node = node.target;
    }
    if (node.kind != Kind.SCALAR) {
      throw failure(path, "has a mapping or sequence as a key, which JSON cannot hold");
    }
    try {
      return GoYamlScalars.key(GoYamlScalars.decode(node.tag, node.text, node.plain));
    } catch (ScalarException e) {
      throw failure(path, e.getMessage());
    }
  }

  /**
   * Applies a merge key: each merged mapping is decoded into the same object, after the keys
   * before {@code <<} and before those after it, as go-yaml v2 does; of a sequence of mappings,
   * the earlier ones win.
   */
  private void merge(YamlNode value, Open into) throws ManifestException {
    List<YamlNode> sources = value.kind == Kind.SEQUENCE ? value.children : List.of(value);
    for (YamlNode source : sources) {
      Aliases aliases = into.aliases;
      YamlNode mapping = source;
      count(aliases);
      if (mapping.kind == Kind.ALIAS) {
        if (aliases != null && aliases.contains(mapping)) {
          throw failure(into.path, "merges an alias whose anchor contains it");
        }
        aliases = new Aliases(mapping, aliases);
        mapping = mapping.target;
        count(aliases);
      }
      if (mapping.kind != Kind.MAPPING) {
        throw failure(
            into.path.isEmpty() ? "the top level" : into.path,
            "has a merge key (<<) whose value is not a mapping or a sequence of mappings");
      }
      // Pushed in order, so the last source is applied first and the first one last.
      open.push(new Open(mapping, into.target, into.path, into.depth, aliases));
    }
  }

  private void count(Aliases aliases) throws ManifestException {
    decodeCount++;
    if (aliases != null) {
      aliasCount++;
    }
    if (aliasCount > 100
        && decodeCount > 1000
        && (double) aliasCount / decodeCount > allowedAliasRatio(decodeCount)) {
      throw new ManifestException(
          source
              + ": document "
              + document
              + " expands aliases too much (kubectl refuses such a document)");
    }
  }

  private ManifestException failure(String path, String problem) {
    return new ManifestException(
        source + ": document " + document + ": " + (path.isEmpty() ? "" : path + " ") + problem);
  }

  private static boolean isMerge(YamlNode key) {
    return key.kind == Kind.SCALAR
        && "<<".equals(key.text)
        && (key.plain || GoYamlScalars.MERGE.equals(key.tag));
  }

  private static double allowedAliasRatio(int decodeCount) {
    if (decodeCount <= ALIAS_RATIO_RANGE_LOW) {
      return 0.99;
    }
    if (decodeCount >= ALIAS_RATIO_RANGE_HIGH) {
      return 0.10;
    }
    return 0.99
        - 0.89
            * ((double) (decodeCount - ALIAS_RATIO_RANGE_LOW)
                / (ALIAS_RATIO_RANGE_HIGH - ALIAS_RATIO_RANGE_LOW));
  }

  /** The aliases being expanded around a value, innermost first. */
  private record Aliases(YamlNode alias, Aliases outer) {
    boolean contains(YamlNode node) {
      for (Aliases a = this; a != null; a = a.outer) {
        if (a.alias == node) {
          return true;
        }
      }
      return false;
    }
  }

  /** A mapping or sequence whose members are being decoded into {@code target}. */
  private static final class Open {
    final YamlNode node;
    final ContainerNode<?> target;
    final String path;
    final int depth;
    final Aliases aliases;
    int next;

    Open(YamlNode node, ContainerNode<?> target, String path, int depth, Aliases aliases) {
      this.node = node;
      this.target = target;
      this.path = path;
      this.depth = depth;
      this.aliases = aliases;
    }
  }
}
