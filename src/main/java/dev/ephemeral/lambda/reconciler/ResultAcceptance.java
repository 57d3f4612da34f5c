package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.condition.SuccessCondition;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryClass;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.SuccessCheck;
import java.util.Optional;

/**
 * Whether a successful call's result meets spec.successCondition. A rejection is final for the
 * trigger (the function ran; another run would repeat it), and its message gives the user's text
 * and the expression, never a value of the result.
 */
final class ResultAcceptance {

  private ResultAcceptance() {}

  /** Why the result is rejected; empty when it is accepted or there is no condition. */
  static Optional<InvocationResult.Failed> rejection(
      InvocationPlan plan, InvocationResult.Succeeded result) {
    if (plan.successCheck().isEmpty()) {
      return Optional.empty();
    }
    SuccessCheck check = plan.successCheck().get();
    var verdict =
        SuccessCondition.evaluate(
            check.expression(), result.payload(), result.statusCode(), result.executedVersion());
    String why;
    if (verdict instanceof SuccessCondition.Failed failed) {
      why =
          "the result does not meet spec.successCondition: evaluating "
              + check.expression()
              + " failed ("
              + failed.kind()
              + ")";
    } else if (verdict instanceof SuccessCondition.NotMet) {
      why = "the result does not meet spec.successCondition: " + check.expression() + " is false";
    } else {
      return Optional.empty();
    }
    String message = check.message().isEmpty() ? why : check.message() + ": " + why;
    String secret =
        check.writeRejectedResult()
            ? "; the result was written to Secret "
                + plan.secretName()
                + " (spec.successCondition.writeRejectedResult)"
            : "; Secret " + plan.secretName() + " was not replaced";
    return Optional.of(
        new InvocationResult.Failed(
            ReadyReason.ConditionNotMet, RetryClass.ON_TRIGGER, message + secret));
  }
}
