package dev.ephemeral.lambda.model;

import java.util.Map;

/**
 * The form of the result Secret beyond its keys from JSON Pointers: its type and the keys rendered
 * from templates.
 *
 * @param type one of {@link SecretTypes}
 * @param templates Secret key -> template text (checked to compile), in key order
 */
public record SecretShape(String type, Map<String, String> templates) {

  /** An Opaque Secret without templates: what a spec without type and template asks for. */
  public static final SecretShape OPAQUE = new SecretShape(SecretTypes.OPAQUE, Map.of());
}
