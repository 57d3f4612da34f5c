package dev.ephemeral.lambda.emulator;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A function with reserved concurrency, as Lambda runs one: at most {@code limit} executions at
 * once, each taking {@code runTime}; a call past that is not run and is answered as Lambda answers
 * it, 429 TooManyRequestsException with the Reason ReservedFunctionConcurrentInvocationLimitExceeded
 * and no Retry-After.
 */
public final class ConcurrencyLimitedFunction implements LambdaFunction {

  public static final String REASON = "ReservedFunctionConcurrentInvocationLimitExceeded";

  private final int limit;
  private final Duration runTime;
  private final LambdaFunction code;
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger executed = new AtomicInteger();
  private final AtomicInteger throttled = new AtomicInteger();

  public ConcurrencyLimitedFunction(int limit, Duration runTime, LambdaFunction code) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    this.limit = limit;
    this.runTime = runTime;
    this.code = code;
  }

  @Override
  public FunctionOutcome handle(FunctionCall call) {
    if (running.incrementAndGet() > limit) {
      running.decrementAndGet();
      throttled.incrementAndGet();
      return FunctionOutcome.throttled(REASON, null);
    }
    try {
      executed.incrementAndGet();
      FunctionOutcome outcome = code.handle(call);
      // The execution holds its place for its whole run time, as a running Lambda does.
      TimeUnit.NANOSECONDS.sleep(runTime.toNanos());
      return outcome;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } finally {
      running.decrementAndGet();
    }
  }

  /** Calls that ran. */
  public int executed() {
    return executed.get();
  }

  /** Calls answered 429 without running. */
  public int throttled() {
    return throttled.get();
  }
}
