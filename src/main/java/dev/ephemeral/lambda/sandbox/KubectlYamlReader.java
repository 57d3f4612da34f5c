package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import dev.ephemeral.lambda.sandbox.YamlNode.Kind;
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
 * that JSON cannot carry refused. SnakeYAML supplies the parse events only; this class builds each
 * document's node tree from them, refusing repeated keys, and {@link GoYamlDecoder} turns the tree
 * into JSON. Nothing recurses, so the nesting depth is bounded by {@link ClusterValues#MAX_DEPTH}
 * and nothing else.
 */
final class KubectlYamlReader {

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
          documents.add(new GoYamlDecoder(source, document).decode(compose(parser, document)));
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

  /** The node tree of one document, built from its events with a stack of open collections. */
  private YamlNode compose(Parser parser, int document) throws ManifestException {
    Map<String, YamlNode> anchors = new HashMap<>();
    Deque<YamlNode> open = new ArrayDeque<>();
    YamlNode root = null;
    while (true) {
      Event event = parser.getEvent();
      if (event instanceof DocumentEndEvent) {
        return root;
      }
      if (event instanceof CollectionEndEvent) {
        YamlNode closed = open.pop();
        if (closed.kind == Kind.MAPPING) {
          refuseDuplicateKeys(closed, document);
        }
        continue;
      }
      YamlNode node;
      if (event instanceof ScalarEvent scalar) {
        node =
            new YamlNode(
                Kind.SCALAR,
                scalar.getTag(),
                scalar.getValue(),
                scalar.getImplicit().canOmitTagInPlainScalar(),
                null,
                null);
      } else if (event instanceof AliasEvent alias) {
        YamlNode target = anchors.get(alias.getAnchor());
        if (target == null) {
          throw failure(
              document, "refers to an anchor not defined before it", event.getStartMark());
        }
        node = new YamlNode(Kind.ALIAS, null, null, false, target, alias.getAnchor());
      } else if (event instanceof MappingStartEvent || event instanceof SequenceStartEvent) {
        if (open.size() + 1 > ClusterValues.MAX_DEPTH) {
          throw tooDeep(source, document, event.getStartMark());
        }
        node =
            new YamlNode(
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
  private void refuseDuplicateKeys(YamlNode mapping, int document) throws ManifestException {
    Map<String, YamlNode> written = new HashMap<>();
    for (int i = 0; i < mapping.children.size(); i += 2) {
      YamlNode key = mapping.children.get(i);
      String text =
          key.kind == Kind.SCALAR ? "=" + key.text : key.kind == Kind.ALIAS ? "*" + key.anchor : null;
      if (text == null) {
        continue;
      }
      YamlNode first = written.putIfAbsent(text, key);
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

  private ManifestException failure(int document, String problem, Mark mark) {
    return new ManifestException(
        source + ": document " + document + " " + problem + " at line " + (mark.getLine() + 1));
  }

  static ManifestException tooDeep(String source, int document, Mark mark) {
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

  private static String oneLine(String text) {
    return text == null ? "unreadable input" : text.strip().replaceAll("\\s*\\n\\s*", " ");
  }
}