package dev.ephemeral.lambda.sandbox;

import java.util.ArrayList;
import java.util.List;

/**
 * A YAML node as parsed, before aliases and merge keys are applied: what {@link KubectlYamlReader}
 * builds from the parse events and {@link GoYamlDecoder} turns into JSON.
 */
final class YamlNode {

  enum Kind {
    SCALAR,
    MAPPING,
    SEQUENCE,
    ALIAS
  }

  final Kind kind;
  final String tag;
  final String text;
  final boolean plain;
  final List<YamlNode> children = new ArrayList<>();
  final YamlNode target;
  final String anchor;
  int line;

  YamlNode(Kind kind, String tag, String text, boolean plain, YamlNode target, String anchor) {
    this.kind = kind;
    this.tag = tag;
    this.text = text;
    this.plain = plain;
    this.target = target;
    this.anchor = anchor;
  }
}
