package dev.ephemeral.lambda.invoke;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The calls a worker could not start because their function or region is at its limit or paused
 * ({@link ConcurrencyLimits}): kept aside in arrival order, so that the worker takes the next call
 * instead of waiting, and put back in the workers' line, oldest first, once they may start (a call
 * ended, or a pause is over).
 */
final class CallsSetAside<T> implements AutoCloseable {

  private final ConcurrencyLimits limits;
  private final Clock clock;
  private final Consumer<Call<T>> line;
  private final Set<Call<T>> calls = new LinkedHashSet<>();

  /** Puts the calls set aside back in line once a pause is over. */
  private final ScheduledExecutorService pauses =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "lambda-invoker-pauses");
            thread.setDaemon(true);
            return thread;
          });

  /**
   * @param line puts a call back in the workers' line
   */
  CallsSetAside(ConcurrencyLimits limits, Clock clock, Consumer<Call<T>> line) {
    this.limits = limits;
    this.clock = clock;
    this.line = line;
  }

  void add(Call<T> call) {
    synchronized (calls) {
      calls.add(call);
    }
    // A call ended meanwhile may have freed the place this one waited for.
    if (limits.admits(call.request())) {
      backInLine();
    }
  }

  void remove(Call<T> call) {
    synchronized (calls) {
      calls.remove(call);
    }
  }

  int size() {
    synchronized (calls) {
      return calls.size();
    }
  }

  /** Puts the calls that may start now back in the workers' line, oldest first. */
  void backInLine() {
    List<Call<T>> ready = new ArrayList<>();
    synchronized (calls) {
      var it = calls.iterator();
      while (it.hasNext()) {
        var call = it.next();
        if (limits.admits(call.request())) {
          it.remove();
          ready.add(call);
        }
      }
    }
    try {
      ready.forEach(line);
    } catch (RejectedExecutionException e) {
      // Closing: the calls set aside are not made.
    }
  }

  /**
   * Puts the calls back in line at {@code until}, on the clock the limits read: a timer that fires
   * early (it counts on another clock) waits again for the rest.
   */
  void backInLineAt(Instant until) {
    Duration left = Duration.between(clock.instant(), until);
    if (left.isNegative() || left.isZero()) {
      backInLine();
      return;
    }
    try {
      pauses.schedule(() -> backInLineAt(until), left.toNanos() + 1, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // Closing: the calls set aside are not made.
    }
  }

  @Override
  public void close() {
    pauses.shutdownNow();
  }
}
