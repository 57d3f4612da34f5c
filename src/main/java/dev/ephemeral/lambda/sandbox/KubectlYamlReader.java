package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.sandbox.ClusterValues.NonFiniteNumberException;
import dev.ephemeral.lambda.sandbox.GoYamlScalars.ScalarException;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.DocumentEndEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;

/**
 * Reads a YAML stream into JSON documents the way kubectl does (sigs.k8s.io/yaml over go-yaml v2):
 * YAML 1.1 scalars (see {@link GoYamlScalars}), merge keys ({@code <<}) applied in the order
 * written, anchors and aliases expanded, keys turned into strings, and the infinite and NaN numbers
 * that JSON cannot carry refused. SnakeYAML supplies the parse events only; nothing here recurses,
 * so the nesting depth is bounded by {@link ClusterValues#MAX_DEPTH} and nothing else.
 */
final class KubectlYamlReader {

  /** go-yaml refuses a document whose decoding comes mostly from alias expansion. */
  private static final int ALIAS_RATIO_RANGE_LOW = 400_000;

  private static final int ALIAS_RATIO_RANGE_HIGH = 4_000_000;

  private final String source;

  KubectlYamlReader(String source) {
    this.source = source;
  }

  /** The documents of {@code text} in order; null for an empty or null document. */
  List<JsonNode> read(String text) throws ManifestException {
    LoaderOptions options = new LoaderOptions();
    // SnakeYAML stops at 3 MB by default; kubectl has no such limit.
    options.setCodePointLimit(Integer.MAX_VALUE);
    Parser parser = new ParserImpl(new StreamReader(text), options);
    List<JsonNode> documents = new ArrayList<>();
    try {
      while (!parser.checkEvent(Event.ID.StreamEnd)) {
        if (parser.getEvent() instanceof DocumentStartEvent) {
          int document = documents.size() + 1;
          documents.add(new Decoder(document).decode(compose(parser, document)));
        }
      }
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
      throw new ManifestException(
          source
              + " is not valid YAML: "
              + oneLine(problem)
              + (mark == null ? "" : " at line " + (mark.getLine() + 1)));
    } catch (YAMLException e) {
      throw new ManifestException(source + " is not valid YAML: " + oneLine(e.getMessage()));
    }
    return documents;
  }

  private enum Kind {
    SCALAR,
    MAPPING,
    SEQUENCE,
    ALIAS
  }

  /** A node as parsed, before aliases and merge keys are applied. */
  private static final class Node {
    final Kind kind;
    final String tag;
    final String text;
    final boolean plain;
    final List<Node> children = new ArrayList<>();
    final Node target;
    final String anchor;
    int line;

    Node(Kind kind, String tag, String text, boolean plain, Node target, String anchor) {
      this.kind = kind;
      this.tag = tag;
      this.text = text;
      this.plain = plain;
      this.target = target;
      this.anchor = anchor;
    }
  }

  /** The node tree of one document, built from its events with a stack of open collections. */
  private Node compose(Parser parser, int document) throws ManifestException {
    Map<String, Node> anchors = new HashMap<>();
    Deque<Node> open = new ArrayDeque<>();
    Node root = null;
    while (true) {
      Event event = parser.getEvent();
      if (event instanceof DocumentEndEvent) {
        return root;
      }
      if (event instanceof CollectionEndEvent) {
        Node closed = open.pop();
        if (closed.kind == Kind.MAPPING) {
          refuseDuplicateKeys(closed, document);
        }
        continue;
      }
      Node node;
      if (event instanceof ScalarEvent scalar) {
        node =
            new Node(
                Kind.SCALAR,
                scalar.getTag(),
                scalar.getValue(),
                scalar.getImplicit().canOmitTagInPlainScalar(),
                null,
                null);
      } else if (event instanceof AliasEvent alias) {
        Node target = anchors.get(alias.getAnchor());
        if (target == null) {
          throw failure(
              document, "refers to an anchor not defined before it", event.getStartMark());
        }
        node = new Node(Kind.ALIAS, null, null, false, target, alias.getAnchor());
      } else if (event instanceof MappingStartEvent || event instanceof SequenceStartEvent) {
        if (open.size() + 1 > ClusterValues.MAX_DEPTH) {
          throw tooDeep(document, event.getStartMark());
        }
        node =
            new Node(
                event instanceof MappingStartEvent ? Kind.MAPPING : Kind.SEQUENCE,
                null,
                null,
                false,
                null,
                null);
      } else {
        continue;
      }
      node.line = event.getStartMark().getLine() + 1;
      if (event instanceof NodeEvent named
          && named.getAnchor() != null
          && !(event instanceof AliasEvent)) {
        // Registered at the start, as go-yaml does: an alias inside refers to the node itself.
        anchors.put(named.getAnchor(), node);
      }
      if (open.isEmpty()) {
        root = node;
      } else {
        open.peek().children.add(node);
      }
      if (node.kind == Kind.MAPPING || node.kind == Kind.SEQUENCE) {
        open.push(node);
      }
    }
  }

  /**
   * Refuses a mapping that writes the same key twice, as kubectl does ("mapping key already
   * defined"): keys are compared as written, before YAML 1.1 decoding, so {@code on} and {@code
   * "on"} are the same key while {@code on} and {@code true} are not. Keys that a merge key ({@code
   * <<}) brings in are not written in this mapping and may repeat one that is.
   */
  private void refuseDuplicateKeys(Node mapping, int document) throws ManifestException {
    Map<String, Node> written = new HashMap<>();
    for (int i = 0; i < mapping.children.size(); i += 2) {
      Node key = mapping.children.get(i);
      String text =
          key.kind == Kind.SCALAR ? "=" + key.text : key.kind == Kind.ALIAS ? "*" + key.anchor : null;
      if (text == null) {
        continue;
      }
      Node first = written.putIfAbsent(text, key);
      if (first != null) {
        throw new ManifestException(
            source
                + ": document "
                + document
                + " at line "
                + key.line
                + ": mapping key \""
                + (key.kind == Kind.SCALAR ? key.text : "*" + key.anchor)
                + "\" already defined at line "
                + first.line
                + " (kubectl refuses a manifest that repeats a key)");
      }
    }
  }

  /** The aliases being expanded around a value, innermost first. */
  private record Aliases(Node alias, Aliases outer) {
    boolean contains(Node node) {
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
    final Node node;
    final ContainerNode<?> target;
    final String path;
    final int depth;
    final Aliases aliases;
    int next;

    Open(Node node, ContainerNode<?> target, String path, int depth, Aliases aliases) {
      this.node = node;
      this.target = target;
      this.path = path;
      this.depth = depth;
      this.aliases = aliases;
    }
  }

  /** go-yaml v2's decoding of a node tree into untyped values, as JSON, with a stack of its own. */
  private final class Decoder {
    private final int document;
    private final Deque<Open> open = new ArrayDeque<>();
    private int decodeCount;
    private int aliasCount;

    Decoder(int document) {
      this.document = document;
    }

    JsonNode decode(Node root) throws ManifestException {
      if (root == null) {
        return null;
      }
      JsonNode value = value(root, "", 1, null);
      while (!open.isEmpty()) {
        Open current = open.peek();
        List<Node> children = current.node.children;
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
          Node key = children.get(current.next);
          Node member = children.get(current.next + 1);
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
    private JsonNode value(Node node, String path, int depth, Aliases aliases)
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
        throw tooDeep(document, null);
      }
      ContainerNode<?> container =
          node.kind == Kind.MAPPING ? ClusterValues.object() : ClusterValues.nodes().arrayNode();
      open.push(new Open(node, container, path, depth, aliases));
      return container;
    }

    private JsonNode scalar(Node node, String path) throws ManifestException {
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
        throw nonFinite(document, path);
      }
    }

    private String key(Node key, Open within) throws ManifestException {
      String path = within.path.isEmpty() ? "the top level" : within.path;
      count(within.aliases);
      Node node = key;
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
    private void merge(Node value, Open into) throws ManifestException {
      List<Node> sources = value.kind == Kind.SEQUENCE ? value.children : List.of(value);
      for (Node source : sources) {
        Aliases aliases = into.aliases;
        Node mapping = source;
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
  }

  private static boolean isMerge(Node key) {
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

  private ManifestException failure(int document, String problem, Mark mark) {
    return new ManifestException(
        source + ": document " + document + " " + problem + " at line " + (mark.getLine() + 1));
  }

  private ManifestException tooDeep(int document, Mark mark) {
    return new ManifestException(
        source
            + ": document "
            + document
            + " is nested more than "
            + ClusterValues.MAX_DEPTH
            + " levels deep"
            + (mark == null ? "" : " at line " + (mark.getLine() + 1))
            + ", deeper than a Kubernetes API server accepts");
  }

  private ManifestException nonFinite(int document, String path) {
    return ManifestLoader.nonFinite(source, document, path);
  }

  private static String oneLine(String text) {
    return text == null ? "unreadable input" : text.strip().replaceAll("\\s*\\n\\s*", " ");
  }
}
