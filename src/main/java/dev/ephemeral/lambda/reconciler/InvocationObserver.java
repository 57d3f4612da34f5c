package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import java.time.Duration;

/** Hears what the reconciler does (for metrics and the sandbox's report). Never sees results. */
public interface InvocationObserver {

  /**
   * A function was invoked.
   *
   * @param outcome {@link ReadyReason#Invoked} when it returned a result, else the failure's reason
   */
  void invoked(LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency);

  /** A result Secret was created or updated. */
  default void secretWritten(LambdaInvocation resource) {}

  /** A result Secret reached its ttl and was deleted. */
  default void secretExpired(LambdaInvocation resource) {}

  InvocationObserver NONE = (resource, trigger, outcome, latency) -> {};
}
