package dev.ephemeral.lambda.model;

import com.fasterxml.jackson.core.JsonPointer;

/**
 * One validated entry of spec.payloadFrom: which key of which object, how its value is read, and
 * where it goes in the payload.
 *
 * @param index the entry's position in spec.payloadFrom (entries are merged in this order)
 * @param json whether the value is parsed as JSON text (format Json) rather than sent as a string
 */
public record PayloadSource(
    int index,
    Kind kind,
    String name,
    String key,
    boolean optional,
    boolean json,
    JsonPointer pointer) {

  /** The kinds of object a value can come from. */
  public enum Kind {
    ConfigMap,
    Secret
  }

  /** The spec field of this entry, for messages. */
  public String field() {
    return "spec.payloadFrom[" + index + "]";
  }
}
