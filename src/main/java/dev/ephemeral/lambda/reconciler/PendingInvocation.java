package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Trigger;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Optional;

/**
 * What a queued call needs to be stored once it finished: the resource as it was decided on (its
 * generation and invoke request are what the status records), the plan, the trigger, and the
 * Secret as it was before the call.
 *
 * @param secretVersion the Secret state the call acts on (see {@link SecretState#version()})
 */
public record PendingInvocation(
    LambdaInvocation decidedOn,
    InvocationPlan plan,
    Trigger trigger,
    Optional<Secret> existing,
    String secretVersion,
    Outcome outcome) {

  /**
   * What storing the result reached, so that a status write that failed is finished by the next
   * reconcile instead of invoking again.
   */
  public static final class Outcome {
    private boolean reported;
    private LambdaInvocationStatus unwrittenStatus;
    private boolean triggeredMeanwhile;

    /** Whether the invocation was already reported to the observers (metrics, Events). */
    boolean reported() {
      return reported;
    }

    void markReported() {
      reported = true;
    }

    Optional<LambdaInvocationStatus> unwrittenStatus() {
      return Optional.ofNullable(unwrittenStatus);
    }

    void statusUnwritten(LambdaInvocationStatus status) {
      unwrittenStatus = status;
    }

    /**
     * Whether a trigger this call does not cover (another generation, invoke request or value of
     * the inputs) came while it ran: its finish then brings the resource back to decide again.
     */
    boolean triggeredMeanwhile() {
      return triggeredMeanwhile;
    }

    void markTriggeredMeanwhile() {
      triggeredMeanwhile = true;
    }
  }
}
