package dev.ephemeral.lambda.secret;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.util.List;
import java.util.Map;

/** {@code value | json}: the value as JSON text. */
final class JsonFilter implements Filter {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Override
  public List<String> getArgumentNames() {
    return List.of();
  }

  @Override
  public Object apply(
      Object input,
      Map<String, Object> args,
      PebbleTemplate self,
      EvaluationContext context,
      int lineNumber) {
    String json;
    try {
      json = MAPPER.writeValueAsString(input);
    } catch (JsonProcessingException e) {
      throw new PebbleException(null, "json cannot write this value", lineNumber, "");
    }
    if (json.length() > RestrictedPebble.MAX_VALUE_LENGTH) {
      throw new RestrictedPebble.ValueTooLarge(lineNumber);
    }
    return json;
  }
}
