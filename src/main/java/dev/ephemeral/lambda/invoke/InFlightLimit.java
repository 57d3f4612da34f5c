package dev.ephemeral.lambda.invoke;

import java.util.concurrent.Semaphore;

/**
 * The most invocations in flight at once, across all resources. Taken without waiting: a reconcile
 * that finds no room comes back shortly instead of holding a reconcile thread, so retiring,
 * reporting and other quick work is never stuck behind long calls.
 */
public final class InFlightLimit {

  private final int max;
  private final Semaphore permits;

  public InFlightLimit(int max) {
    this.max = max;
    this.permits = new Semaphore(max);
  }

  public boolean tryAcquire() {
    return permits.tryAcquire();
  }

  public void release() {
    permits.release();
  }

  public int inFlight() {
    return max - permits.availablePermits();
  }
}
