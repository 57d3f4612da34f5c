package dev.ephemeral.lambda.secret;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.json.JsonText;
import io.pebbletemplates.pebble.error.AttributeNotFoundException;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The templates of spec.secret.template: Secret key -> a Pebble template (a Jinja-like syntax)
 * over the parsed JSON result, named {@code result} in the template. Only a safe part of Pebble is
 * open to them (see {@link RestrictedPebble}): a template that uses anything else does not
 * compile.
 *
 * <p>Messages never carry the result or what a template made of it: a compile error names what
 * in the template is wrong (the template comes from the spec, not from the function), a render
 * error only its kind and line, because the engine's own messages may quote the data.
 */
public final class SecretTemplates {

  private SecretTemplates() {}

  /** Longest part of a parser message that is quoted back. */
  private static final int MAX_MESSAGE_LENGTH = 200;

  /** Why {@code template} does not compile, or empty when it does. */
  public static Optional<String> compileProblem(String template) {
    try {
      compile(template);
      return Optional.empty();
    } catch (PebbleException e) {
      return Optional.of(parserMessage(e));
    } catch (StackOverflowError e) {
      return Optional.of("it is nested too deeply");
    } catch (RuntimeException e) {
      // The validator answers with violations, never an exception, whatever the template.
      return Optional.of("it does not parse");
    }
  }

  /** The outcome of rendering every template: each key's bytes, or why one failed. */
  public sealed interface Rendering permits Rendered, Failed {}

  public record Rendered(Map<String, byte[]> data) implements Rendering {}

  /**
   * A template that could not be rendered over this result.
   *
   * @param key the template's key, null when the result is not JSON
   * @param message names the key, the kind of failure and its line; safe to show
   */
  public record Failed(String key, String message) implements Rendering {}

  /**
   * Renders every template over {@code payload}, which must be JSON; nothing partial: either every
   * key renders or the outcome is the first failure.
   */
  public static Rendering render(
      Map<String, String> templates, byte[] payload, ObjectMapper mapper) {
    var context = new HashMap<String, Object>();
    try {
      context.put(RestrictedPebble.VARIABLE, parse(payload, mapper));
    } catch (IOException e) {
      return new Failed(
          null, "spec.secret.template needs a JSON result, but the function's result is not JSON");
    }
    var data = new TreeMap<String, byte[]>();
    for (var entry : new TreeMap<>(templates).entrySet()) {
      String key = entry.getKey();
      var writer = new StringWriter();
      try {
        compile(entry.getValue()).evaluate(writer, context);
      } catch (RestrictedPebble.ValueTooLarge e) {
        return failed(key, "would build a value longer than a Secret holds", e);
      } catch (AttributeNotFoundException e) {
        return failed(key, "refers to a field or item the result does not have", e);
      } catch (PebbleException e) {
        return failed(
            key,
            e.getPebbleMessage() != null && e.getPebbleMessage().startsWith("Tried to write more")
                ? "writes more than a Secret holds"
                : "cannot be applied to the result (a value of another type than it expects)",
            e);
      } catch (RuntimeException | IOException | StackOverflowError e) {
        return new Failed(
            key,
            "spec.secret.template."
                + key
                + ": the template cannot be applied to the result (a value of another type than"
                + " it expects)");
      }
      data.put(key, writer.toString().getBytes(StandardCharsets.UTF_8));
    }
    return new Rendered(data);
  }

  /**
   * The JSON result as plain maps, lists, strings, numbers and booleans; a number with a fraction
   * or an exponent is a {@link dev.ephemeral.lambda.json.WrittenDecimal}, exact and printed
   * as the function wrote it.
   */
  private static Object parse(byte[] payload, ObjectMapper mapper) throws IOException {
    return mapper
        .reader()
        .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .treeToValue(JsonText.read(payload, false), Object.class);
  }

  private static PebbleTemplate compile(String template) {
    return RestrictedPebble.ENGINE.getLiteralTemplate(template);
  }

  private static Failed failed(String key, String kind, PebbleException e) {
    return new Failed(
        key,
        "spec.secret.template."
            + key
            + ": the template "
            + kind
            + (e.getLineNumber() == null || e.getLineNumber() <= 0
                ? ""
                : " (line " + e.getLineNumber() + ")"));
  }

  /** Pebble's message without the file name it appends (here the template text itself). */
  private static String parserMessage(PebbleException e) {
    String message = e.getPebbleMessage() == null ? "it does not parse" : e.getPebbleMessage();
    if (message.length() > MAX_MESSAGE_LENGTH) {
      message = message.substring(0, MAX_MESSAGE_LENGTH) + "…";
    }
    return message
        + (e.getLineNumber() == null || e.getLineNumber() <= 0
            ? ""
            : " (line " + e.getLineNumber() + ")");
  }
}
