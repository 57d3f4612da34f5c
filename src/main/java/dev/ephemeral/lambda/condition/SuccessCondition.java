package dev.ephemeral.lambda.condition;

import dev.cel.common.CelErrorCode;
import dev.cel.runtime.CelEvaluationException;
import java.util.Map;
import java.util.Optional;

/**
 * spec.successCondition: whether a successful call's result may be written. The expression is
 * compiled once per text (before any call, by the validator) and evaluated with a cost limit.
 * Nothing here returns or logs a value of the result: a verdict names at most the kind of an
 * evaluation error.
 */
public final class SuccessCondition {

  /** What the evaluation gave. */
  public sealed interface Verdict permits Met, NotMet, Failed {}

  /** The expression is true: the result is accepted. */
  public record Met() implements Verdict {}

  /** The expression is false. */
  public record NotMet() implements Verdict {}

  /**
   * The evaluation ended in an error.
   *
   * @param kind what went wrong, such as "no such key" or "type mismatch"; never a value
   */
  public record Failed(String kind) implements Verdict {}

  private SuccessCondition() {}

  /**
   * Why {@code expression} cannot be a success condition (it does not compile, or is not boolean),
   * or empty when it can. The message is the compiler's, about the expression only.
   */
  public static Optional<String> problem(String expression) {
    return ConditionPrograms.compile(expression) instanceof ConditionPrograms.Problem problem
        ? Optional.of(problem.message())
        : Optional.empty();
  }

  /**
   * Evaluates {@code expression} (which the validator has compiled) over a call's outcome.
   *
   * @param executedVersion null when the response named none; the variable is then ""
   */
  public static Verdict evaluate(
      String expression, byte[] result, int statusCode, String executedVersion) {
    var compiled = ConditionPrograms.compile(expression);
    if (!(compiled instanceof ConditionPrograms.Program program)) {
      return new Failed("does not compile");
    }
    Object value;
    try {
      value = ResultValue.of(result);
    } catch (ResultValue.TooDeep e) {
      return new Failed("result nested deeper than " + ResultValue.MAX_DEPTH + " levels");
    }
    Object outcome;
    try {
      outcome =
          program
              .program()
              .trace(
                  Map.of(
                      ConditionPrograms.RESULT,
                      value,
                      ConditionPrograms.STATUS_CODE,
                      (long) statusCode,
                      ConditionPrograms.EXECUTED_VERSION,
                      executedVersion == null ? "" : executedVersion),
                  new EvaluationCost());
    } catch (CelEvaluationException e) {
      return new Failed(kindOf(e));
    } catch (EvaluationCost.Exceeded e) {
      return new Failed(costExceeded());
    } catch (StackOverflowError e) {
      return new Failed("nested too deeply");
    } catch (RuntimeException e) {
      // Any other failure of the evaluator is the condition's, not the stored call's; its
      // message may quote a value, so only the kind is kept.
      return new Failed("evaluation error");
    }
    if (outcome instanceof Boolean met) {
      return met ? new Met() : new NotMet();
    }
    return new Failed("type mismatch (the expression gave no boolean)");
  }

  /** The kind of an evaluation error: CEL's messages may quote values of the result. */
  private static String kindOf(CelEvaluationException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof EvaluationCost.Exceeded) {
        return costExceeded();
      }
    }
    CelErrorCode code = e.getErrorCode();
    return switch (code == null ? CelErrorCode.INTERNAL_ERROR : code) {
      case ATTRIBUTE_NOT_FOUND -> "no such key";
      case INDEX_OUT_OF_BOUNDS -> "index out of range";
      case DIVIDE_BY_ZERO -> "division by zero";
      case NUMERIC_OVERFLOW -> "numeric overflow";
      case OVERLOAD_NOT_FOUND, AMBIGUOUS_OVERLOAD, TYPE_NOT_FOUND -> "type mismatch";
      case BAD_FORMAT -> "bad format (a conversion failed)";
      case INVALID_ARGUMENT -> "invalid argument";
      case DUPLICATE_ATTRIBUTE -> "duplicate key";
      case ITERATION_BUDGET_EXCEEDED ->
          "iteration limit exceeded (at most " + ConditionPrograms.MAX_ITERATIONS + ")";
      default -> "evaluation error";
    };
  }

  private static String costExceeded() {
    return "cost limit exceeded (at most " + EvaluationCost.LIMIT + " units)";
  }
}
