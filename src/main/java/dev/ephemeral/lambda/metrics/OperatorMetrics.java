package dev.ephemeral.lambda.metrics;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Trigger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The operator's own metrics. Labels carry only enums (outcome, reason, trigger): never a resource
 * name, a payload or any part of a result.
 */
public final class OperatorMetrics implements InvocationObserver {

  public static final String INVOCATIONS = "lambda_invocations";
  public static final String INVOCATION_DURATION = "lambda_invocation_duration";
  public static final String SECRETS_WRITTEN = "lambda_secrets_written";
  public static final String SECRETS_EXPIRED = "lambda_secrets_expired";
  public static final String IN_FLIGHT = "lambda_invocations_in_flight";
  public static final String WAITING = "lambda_invocations_waiting";
  public static final String NOT_ALLOWED = "lambda_invocations_not_allowed";
  public static final String MAY_START = "lambda_invocations_may_start";
  public static final String POLICIES_UNREADABLE = "lambda_invocation_policies_unreadable";
  public static final String CONCURRENCY_LIMIT = "lambda_invocations_concurrency_limit";
  public static final String THROTTLED = "lambda_invocations_throttled";
  public static final String RESULTS_REJECTED = "lambda_results_rejected";

  private final MeterRegistry registry;
  private final Counter secretsWritten;
  private final Counter secretsExpired;
  private final Counter notAllowed;
  private final Counter resultsRejected;

  /**
   * @param inFlight Lambda calls running now
   * @param waiting Lambda calls queued for a free slot under the in-flight limit, or for the
   *     leader Lease to be confirmed
   * @param mayStart whether this replica may start Lambda calls now
   * @param unreadablePolicies LambdaInvocationPolicies ignored because their spec does not fit the
   *     model
   */
  public OperatorMetrics(
      MeterRegistry registry,
      IntSupplier inFlight,
      IntSupplier waiting,
      BooleanSupplier mayStart,
      IntSupplier unreadablePolicies) {
    this.registry = registry;
    this.secretsWritten =
        Counter.builder(SECRETS_WRITTEN)
            .description("Result Secrets created or updated")
            .register(registry);
    this.secretsExpired =
        Counter.builder(SECRETS_EXPIRED)
            .description("Result Secrets deleted at their ttl")
            .register(registry);
    this.notAllowed =
        Counter.builder(NOT_ALLOWED)
            .description(
                "LambdaInvocations refused because no LambdaInvocationPolicy allows them (each"
                    + " time one becomes NotAllowed)")
            .register(registry);
    this.resultsRejected =
        Counter.builder(RESULTS_REJECTED)
            .description(
                "Results of successful invocations that spec.successCondition rejected (false, or"
                    + " an evaluation error)")
            .register(registry);
    Gauge.builder(IN_FLIGHT, inFlight::getAsInt)
        .description("Lambda invocations in flight")
        .register(registry);
    Gauge.builder(WAITING, waiting::getAsInt)
        .description(
            "Lambda invocations queued for a free slot under the in-flight limit, or for the"
                + " leader Lease to be confirmed")
        .register(registry);
    Gauge.builder(MAY_START, () -> mayStart.getAsBoolean() ? 1 : 0)
        .description(
            "1 while this replica may start Lambda invocations: without leader election always,"
                + " with it while its Lease was confirmed within the renew deadline")
        .register(registry);
    Gauge.builder(POLICIES_UNREADABLE, unreadablePolicies::getAsInt)
        .description(
            "LambdaInvocationPolicies ignored (they allow nothing) because their spec does not fit"
                + " the model")
        .register(registry);
  }

  @Override
  public void invoked(
      LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency) {
    String result = outcome == ReadyReason.Invoked ? "success" : "failure";
    Counter.builder(INVOCATIONS)
        .description("Lambda invocations, by outcome, reason and trigger")
        .tag("outcome", result)
        .tag("reason", outcome.name())
        .tag("trigger", trigger.name())
        .register(registry)
        .increment();
    Timer.builder(INVOCATION_DURATION)
        .description("Time from sending the request to the response")
        .tag("outcome", result)
        .publishPercentileHistogram()
        .register(registry)
        .record(latency);
    if (outcome == ReadyReason.ConditionNotMet) {
      resultsRejected.increment();
    }
  }

  @Override
  public void failed(LambdaInvocation resource, ReadyReason reason, String message) {
    if (reason == ReadyReason.NotAllowed) {
      notAllowed.increment();
    }
  }

  /**
   * The current limit as a gauge. Its key (a region, or a region and function name as the specs
   * name it) is a label: a target the operator calls, bounded by the functions in use, never data.
   */
  @Override
  public void concurrencyLimit(String scope, String key, IntSupplier current) {
    Gauge.builder(CONCURRENCY_LIMIT, current::getAsInt)
        .description(
            "Lambda invocations that may be in flight now, per function and per region, lowered"
                + " by Lambda's throttling and grown back as calls succeed")
        .tag("scope", scope)
        .tag("key", key)
        .register(registry);
  }

  @Override
  public void throttled(String scope) {
    Counter.builder(THROTTLED)
        .description(
            "Lambda invocations throttled (HTTP 429: the function did not run), by what the"
                + " throttle applied to")
        .tag("scope", scope)
        .register(registry)
        .increment();
  }

  @Override
  public void secretWritten(LambdaInvocation resource, String message) {
    secretsWritten.increment();
  }

  @Override
  public void secretExpired(LambdaInvocation resource, String message) {
    secretsExpired.increment();
  }
}
