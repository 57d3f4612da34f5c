package dev.ephemeral.lambda.secret;

import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.util.List;
import java.util.Map;

/** A filter whose output is checked against {@link RestrictedPebble#MAX_VALUE_LENGTH}. */
record BoundedFilter(Filter filter) implements Filter {
  @Override
  public List<String> getArgumentNames() {
    return filter.getArgumentNames();
  }

  @Override
  public Object apply(
      Object input,
      Map<String, Object> args,
      PebbleTemplate self,
      EvaluationContext context,
      int lineNumber) {
    Object output = filter.apply(input, args, self, context, lineNumber);
    if (output instanceof CharSequence text && text.length() > RestrictedPebble.MAX_VALUE_LENGTH) {
      throw new RestrictedPebble.ValueTooLarge(lineNumber);
    }
    return output;
  }
}
