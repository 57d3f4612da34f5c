package dev.ephemeral.lambda.customresource;

/**
 * How a value read through spec.payloadFrom enters the payload; only its schema (an enum) is used,
 * the field itself is a string.
 */
public enum InputFormat {
  /** The value's text, as a JSON string (the default). */
  String,
  /** The value parsed as JSON text: an object, array, number, boolean, string or null. */
  Json
}
