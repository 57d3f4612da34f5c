package dev.ephemeral.lambda.policy;

import dev.ephemeral.lambda.model.InvocationPlan;
import java.time.Duration;
import java.util.Optional;

/** What a policy looks at in a LambdaInvocation: the function it calls, and how often and long. */
public record CallTarget(
    String functionName,
    String qualifier,
    String region,
    Duration timeout,
    Optional<Duration> refreshInterval) {

  public static CallTarget of(InvocationPlan plan) {
    return new CallTarget(
        plan.functionName(),
        plan.qualifier(),
        plan.region(),
        plan.timeout(),
        plan.refreshInterval());
  }
}
