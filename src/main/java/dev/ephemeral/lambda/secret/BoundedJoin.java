package dev.ephemeral.lambda.secret;

import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** {@code list | join(separator)}, refused before it is built when it would be too long. */
final class BoundedJoin implements Filter {
  @Override
  public List<String> getArgumentNames() {
    return List.of("separator");
  }

  @Override
  public Object apply(
      Object input,
      Map<String, Object> args,
      PebbleTemplate self,
      EvaluationContext context,
      int lineNumber) {
    if (input == null) {
      return null;
    }
    List<Object> items = items(input, lineNumber);
    String separator = args.get("separator") == null ? "" : args.get("separator").toString();
    var texts = new ArrayList<String>(items.size());
    long length = 0;
    for (Object item : items) {
      String text = BoundedText.of(item, lineNumber);
      length += text.length() + (texts.isEmpty() ? 0 : separator.length());
      if (length > RestrictedPebble.MAX_VALUE_LENGTH) {
        throw new RestrictedPebble.ValueTooLarge(lineNumber);
      }
      texts.add(text);
    }
    return String.join(separator, texts);
  }

  private static List<Object> items(Object input, int lineNumber) {
    if (input instanceof Collection<?> collection) {
      return new ArrayList<>(collection);
    }
    if (input.getClass().isArray()) {
      var items = new ArrayList<Object>();
      for (int i = 0; i < Array.getLength(input); i++) {
        items.add(Array.get(input, i));
      }
      return items;
    }
    throw new PebbleException(null, "join needs a list", lineNumber, "");
  }
}
