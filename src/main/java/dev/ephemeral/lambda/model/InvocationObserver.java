package dev.ephemeral.lambda.model;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.Trigger;
import java.time.Duration;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * Hears what the reconciler does: for metrics, Events and the sandbox's report. It is only ever
 * given safe text (reasons and condition messages), never any part of a result or a log.
 */
public interface InvocationObserver {

  /**
   * A function was invoked.
   *
   * @param outcome {@link ReadyReason#Invoked} when it returned a result, else the failure's reason
   */
  void invoked(LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency);

  /** An attempt ended without a written Secret (invocation failure, conflict, invalid spec...). */
  default void failed(LambdaInvocation resource, ReadyReason reason, String message) {}

  /**
   * A result Secret was created or updated; {@code message} names the function and the Secret,
   * never any part of the result.
   */
  default void secretWritten(LambdaInvocation resource, String message) {}

  /** A result Secret reached its ttl and was deleted. */
  default void secretExpired(LambdaInvocation resource, String message) {}

  /** A workload of spec.secret.rolloutRestartTargets was restarted after the data changed. */
  default void workloadRestarted(LambdaInvocation resource, String message) {}

  /**
   * A workload of spec.secret.rolloutRestartTargets could not be restarted ({@code reason} says
   * why, such as not found); the resource stays Ready.
   */
  default void workloadNotRestarted(LambdaInvocation resource, String reason, String message) {}

  /**
   * The finalizer of spec.onDelete was removed without a successful delete-time call (its retries
   * spent, the function not found, an invalid spec...); {@code message} says why.
   */
  default void deleteCallAbandoned(LambdaInvocation resource, String message) {}

  /**
   * A LambdaInvocationPolicy's stored spec does not fit the model, so it is ignored (it allows
   * nothing); {@code message} names the field and the rule, never a value.
   */
  default void policyIgnored(LambdaInvocationPolicy policy, String message) {}

  /**
   * An adaptive in-flight limit came into use (see the call queue's concurrency limits).
   *
   * @param scope "function" or "region"
   * @param key the region, or the region and function name, that it limits
   * @param current the calls it lets be in flight now
   */
  default void concurrencyLimit(String scope, String key, IntSupplier current) {}

  /** Lambda throttled a call (429: the function did not run), for {@code scope}. */
  default void throttled(String scope) {}

  InvocationObserver NONE = (resource, trigger, outcome, latency) -> {};

  /** All of {@code observers}, in order; one that throws does not stop the others. */
  static InvocationObserver all(List<InvocationObserver> observers) {
    return new InvocationObserver() {
      @Override
      public void invoked(
          LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency) {
        observers.forEach(o -> safely(() -> o.invoked(resource, trigger, outcome, latency)));
      }

      @Override
      public void failed(LambdaInvocation resource, ReadyReason reason, String message) {
        observers.forEach(o -> safely(() -> o.failed(resource, reason, message)));
      }

      @Override
      public void secretWritten(LambdaInvocation resource, String message) {
        observers.forEach(o -> safely(() -> o.secretWritten(resource, message)));
      }

      @Override
      public void secretExpired(LambdaInvocation resource, String message) {
        observers.forEach(o -> safely(() -> o.secretExpired(resource, message)));
      }

      @Override
      public void workloadRestarted(LambdaInvocation resource, String message) {
        observers.forEach(o -> safely(() -> o.workloadRestarted(resource, message)));
      }

      @Override
      public void workloadNotRestarted(LambdaInvocation resource, String reason, String message) {
        observers.forEach(o -> safely(() -> o.workloadNotRestarted(resource, reason, message)));
      }

      @Override
      public void deleteCallAbandoned(LambdaInvocation resource, String message) {
        observers.forEach(o -> safely(() -> o.deleteCallAbandoned(resource, message)));
      }

      @Override
      public void policyIgnored(LambdaInvocationPolicy policy, String message) {
        observers.forEach(o -> safely(() -> o.policyIgnored(policy, message)));
      }

      @Override
      public void concurrencyLimit(String scope, String key, IntSupplier current) {
        observers.forEach(o -> safely(() -> o.concurrencyLimit(scope, key, current)));
      }

      @Override
      public void throttled(String scope) {
        observers.forEach(o -> safely(() -> o.throttled(scope)));
      }
    };
  }

  private static void safely(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(InvocationObserver.class)
          .atWarn()
          .addKeyValue("error", e.getClass().getSimpleName())
          .log("An invocation observer failed; continuing");
    }
  }
}
