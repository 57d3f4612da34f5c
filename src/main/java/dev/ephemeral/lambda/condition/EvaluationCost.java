package dev.ephemeral.lambda.condition;

import dev.cel.common.ast.CelExpr;
import dev.cel.common.values.CelByteString;
import dev.cel.runtime.CelEvaluationListener;
import java.util.Collection;
import java.util.Map;

/**
 * The cost of one evaluation, counted as it runs: one unit for each step, and for each value a step
 * builds (a concatenation, a map or filter, a list or map literal) one unit per element or
 * character. Past {@link #LIMIT} the evaluation stops, so that an expression cannot stall the
 * operator or fill its memory, whatever the result it reads: building a value costs about as much
 * time and memory as its size, and reading the result costs nothing beyond the step.
 */
final class EvaluationCost implements CelEvaluationListener {

  /** The most units one evaluation may spend: in the order of a second of one core. */
  static final long LIMIT = 1_000_000;

  /** Thrown out of the evaluation once the limit is passed. */
  static final class Exceeded extends RuntimeException {
    Exceeded() {
      super("cost limit exceeded", null, false, false);
    }
  }

  private long spent;

  @Override
  public void callback(CelExpr expr, Object value) {
    spent++;
    switch (expr.exprKind().getKind()) {
      case CALL, COMPREHENSION, LIST, MAP, STRUCT -> spent += sizeOf(value);
      default -> {}
    }
    if (spent > LIMIT) {
      throw new Exceeded();
    }
  }

  private static long sizeOf(Object value) {
    if (value instanceof Collection<?> collection) {
      return collection.size();
    }
    if (value instanceof Map<?, ?> map) {
      return map.size();
    }
    if (value instanceof CharSequence text) {
      return text.length();
    }
    if (value instanceof com.google.protobuf.ByteString bytes) {
      return bytes.size();
    }
    if (value instanceof CelByteString bytes) {
      return bytes.size();
    }
    return 0;
  }
}
