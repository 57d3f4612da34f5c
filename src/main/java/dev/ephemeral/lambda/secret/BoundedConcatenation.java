package dev.ephemeral.lambda.secret;

import io.pebbletemplates.pebble.node.expression.BinaryExpression;
import io.pebbletemplates.pebble.template.EvaluationContextImpl;
import io.pebbletemplates.pebble.template.PebbleTemplateImpl;

/** {@code a ~ b}, refused before it is built when it would be too long. */
final class BoundedConcatenation extends BinaryExpression<Object> {
  @Override
  public Object evaluate(PebbleTemplateImpl self, EvaluationContextImpl context) {
    String left = BoundedText.of(getLeftExpression().evaluate(self, context), getLineNumber());
    String right = BoundedText.of(getRightExpression().evaluate(self, context), getLineNumber());
    if ((long) left.length() + right.length() > RestrictedPebble.MAX_VALUE_LENGTH) {
      throw new RestrictedPebble.ValueTooLarge(getLineNumber());
    }
    return left + right;
  }
}
