package dev.ephemeral.lambda;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The answer of /readyz, kept off the HTTP threads: the operator's own check waits on
 * java-operator-sdk's controller lock, which the operator's start holds until every informer synced
 * (up to the cache-sync timeout), so a probe must never call it. Not ready until the operator
 * started; then the check's latest result, evaluated by one background thread; not ready again once
 * the operator is stopping.
 */
final class Readiness implements AutoCloseable {

  private final BooleanSupplier check;
  private final Duration interval;
  private final ScheduledExecutorService checker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "readiness-check");
            thread.setDaemon(true);
            return thread;
          });
  private boolean stopping;
  private volatile boolean ready;

  Readiness(BooleanSupplier check, Duration interval) {
    this.check = check;
    this.interval = interval;
  }

  boolean isReady() {
    return ready;
  }

  /** The operator's start returned: from now on the check decides. */
  synchronized void operatorStarted() {
    if (!stopping) {
      checker.scheduleWithFixedDelay(this::evaluate, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Not ready from now on. */
  synchronized void operatorStopping() {
    stopping = true;
    ready = false;
    checker.shutdownNow();
  }

  private void evaluate() {
    boolean result;
    try {
      result = check.getAsBoolean();
    } catch (RuntimeException e) {
      // Not ready; and a check that throws must not end the schedule.
      result = false;
    }
    synchronized (this) {
      if (!stopping) {
        ready = result;
      }
    }
  }

  @Override
  public void close() {
    operatorStopping();
  }
}
