package dev.ephemeral.lambda.validation;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import dev.ephemeral.lambda.condition.SuccessCondition;
import dev.ephemeral.lambda.customresource.SuccessConditionSpec;
import dev.ephemeral.lambda.model.SuccessCheck;
import java.util.List;
import java.util.Optional;

/**
 * The rules of spec.successCondition: an expression that compiles, before any call, to a boolean
 * over result, statusCode and executedVersion, and a message of bounded length.
 */
final class SuccessConditionRules {

  private SuccessConditionRules() {}

  /** The checked condition; empty when absent or when it breaks a rule (then in violations). */
  static Optional<SuccessCheck> check(SuccessConditionSpec spec, List<String> violations) {
    if (spec == null) {
      return Optional.empty();
    }
    int before = violations.size();
    String expression = spec.getExpression();
    if (expression == null || expression.isBlank()) {
      violations.add("spec.successCondition.expression: required (a CEL expression)");
    } else if (expression.length() > SUCCESS_CONDITION_MAX_LENGTH) {
      violations.add(
          "spec.successCondition.expression: must be at most "
              + SUCCESS_CONDITION_MAX_LENGTH
              + " characters, got "
              + expression.length());
    } else {
      SuccessCondition.problem(expression)
          .ifPresent(
              problem ->
                  violations.add(
                      "spec.successCondition.expression: must be a CEL expression giving a"
                          + " boolean over result, statusCode and executedVersion: "
                          + problem));
    }
    String message = spec.getMessage();
    if (message != null && message.length() > SUCCESS_CONDITION_MESSAGE_MAX_LENGTH) {
      violations.add(
          "spec.successCondition.message: must be at most "
              + SUCCESS_CONDITION_MESSAGE_MAX_LENGTH
              + " characters, got "
              + message.length());
    }
    if (violations.size() > before) {
      return Optional.empty();
    }
    return Optional.of(
        new SuccessCheck(
            expression,
            message == null ? "" : message,
            Boolean.TRUE.equals(spec.getWriteRejectedResult())));
  }
}
