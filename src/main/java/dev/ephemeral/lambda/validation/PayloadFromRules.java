package dev.ephemeral.lambda.validation;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.core.JsonPointer;
import dev.ephemeral.lambda.customresource.KeyReference;
import dev.ephemeral.lambda.customresource.PayloadInput;
import dev.ephemeral.lambda.customresource.SpecRules;
import dev.ephemeral.lambda.model.PayloadSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The field rules of spec.payloadFrom, as the CRD's schema and CEL rules state them: at most
 * {@value SpecRules#MAX_PAYLOAD_INPUTS} entries, each with a JSON Pointer that does not go through
 * {@code -}, exactly one of configMapKeyRef and secretKeyRef naming a valid object and data key,
 * and a format of String or Json.
 */
final class PayloadFromRules {

  private static final Pattern OBJECT_NAME = Pattern.compile(SECRET_NAME_PATTERN);
  private static final Pattern DATA_KEY = Pattern.compile(SECRET_KEY_PATTERN);
  private static final Pattern JSON_POINTER = Pattern.compile(JSON_POINTER_PATTERN);

  private PayloadFromRules() {}

  /**
   * Checks the entries; adds a violation naming the field for each broken rule.
   *
   * @param quoted quotes a value of the spec in a message, cut short
   * @return the valid entries, in order
   */
  static List<PayloadSource> check(
      List<PayloadInput> inputs, List<String> violations, UnaryOperator<String> quoted) {
    if (inputs == null) {
      return List.of();
    }
    if (inputs.size() > MAX_PAYLOAD_INPUTS) {
      violations.add(
          "spec.payloadFrom: at most " + MAX_PAYLOAD_INPUTS + " entries, got " + inputs.size());
      return List.of();
    }
    var sources = new ArrayList<PayloadSource>();
    for (int i = 0; i < inputs.size(); i++) {
      String field = "spec.payloadFrom[" + i + "]";
      PayloadInput input = inputs.get(i);
      if (input == null) {
        violations.add(field + ": must be an object, got null");
        continue;
      }
      int before = violations.size();
      JsonPointer pointer = pointer(field, input.getPointer(), violations, quoted);
      boolean json = false;
      if (input.getFormat() != null) {
        if (input.getFormat().equals("Json")) {
          json = true;
        } else if (!input.getFormat().equals("String")) {
          violations.add(
              field + ".format: must be String or Json, got " + quoted.apply(input.getFormat()));
        }
      }
      KeyReference configMap = input.getConfigMapKeyRef();
      KeyReference secret = input.getSecretKeyRef();
      if ((configMap == null) == (secret == null)) {
        violations.add(field + ": needs exactly one of configMapKeyRef and secretKeyRef");
        continue;
      }
      var kind = configMap != null ? PayloadSource.Kind.ConfigMap : PayloadSource.Kind.Secret;
      KeyReference ref = configMap != null ? configMap : secret;
      String refField = field + (configMap != null ? ".configMapKeyRef" : ".secretKeyRef");
      checkReference(refField, ref, violations, quoted);
      if (violations.size() == before) {
        sources.add(
            new PayloadSource(
                i,
                kind,
                ref.getName(),
                ref.getKey(),
                Boolean.TRUE.equals(ref.getOptional()),
                json,
                pointer));
      }
    }
    return List.copyOf(sources);
  }

  private static JsonPointer pointer(
      String field, String pointer, List<String> violations, UnaryOperator<String> quoted) {
    if (pointer == null) {
      violations.add(field + ".pointer: required (a JSON Pointer such as /db/host)");
      return null;
    }
    if (pointer.length() > JSON_POINTER_MAX_LENGTH || !JSON_POINTER.matcher(pointer).matches()) {
      violations.add(
          field
              + ".pointer: must be a JSON Pointer (RFC 6901) such as /db/host, got "
              + quoted.apply(pointer));
      return null;
    }
    if (pointer.contains("/-/")) {
      violations.add(
          field
              + ".pointer: '-' (append to an array) may only be the last token, got "
              + quoted.apply(pointer));
      return null;
    }
    return JsonPointer.compile(pointer);
  }

  private static void checkReference(
      String field, KeyReference ref, List<String> violations, UnaryOperator<String> quoted) {
    String name = ref.getName();
    if (name == null || name.isEmpty()) {
      violations.add(field + ".name: required");
    } else if (name.length() > SECRET_NAME_MAX_LENGTH || !OBJECT_NAME.matcher(name).matches()) {
      violations.add(
          field
              + ".name: must be a valid object name (lowercase DNS subdomain, at most 253"
              + " characters), got "
              + quoted.apply(name));
    }
    String key = ref.getKey();
    if (key == null || key.isEmpty()) {
      violations.add(field + ".key: required");
    } else if (key.length() > SECRET_KEY_MAX_LENGTH || !DATA_KEY.matcher(key).matches()) {
      violations.add(
          field
              + ".key: must be a valid data key ([-._a-zA-Z0-9]+, at most 253, not '.' and not"
              + " starting with '..'), got "
              + quoted.apply(key));
    }
  }
}
