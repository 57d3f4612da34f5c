package dev.ephemeral.lambda.invoke;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One resource's Lambda call, as {@link CallEventSource} keeps it: queued, running, then finished
 * with its result until a reconcile stores it. {@code result} is sensitive (it holds the function's
 * result): it goes into the Secret and nowhere else.
 *
 * @param <T> what the reconciler keeps with the call, to store its result later
 */
public final class Call<T> {

  /** Where a call is. */
  public enum State {
    QUEUED,
    RUNNING,
    FINISHED
  }

  private final String uid;
  private final T context;
  private final InvocationRequest request;
  private State state = State.QUEUED;
  private Instant started;
  private Instant finished;
  private InvocationResult result;
  private boolean orphaned;

  /** Set once, by the worker that starts the call or by a cancel: never both. */
  private final AtomicBoolean claimed = new AtomicBoolean();

  /**
   * A trigger that this call does not cover came while it ran (another generation, invoke request
   * or value of the inputs; or a reason not to invoke at all): the reconcile that stores it decides
   * again right after.
   */
  private volatile boolean redecide;

  /** The worker task that makes the call, while it waits in the workers' queue. */
  volatile Runnable task;

  Call(String uid, T context, InvocationRequest request) {
    this.uid = uid;
    this.context = context;
    this.request = request;
  }

  /** The uid of the resource the call was made for. */
  public String uid() {
    return uid;
  }

  public T context() {
    return context;
  }

  InvocationRequest request() {
    return request;
  }

  public synchronized State state() {
    return state;
  }

  public boolean isFinished() {
    return state() == State.FINISHED;
  }

  /** The call's outcome, once finished. */
  public synchronized InvocationResult result() {
    return result;
  }

  public synchronized Instant finishedAt() {
    return finished;
  }

  /** Time from sending the request to the response. */
  public synchronized Duration latency() {
    return Duration.between(started, finished);
  }

  /** Asks for another decision once this call's result is stored. */
  public void redecideWhenStored() {
    redecide = true;
  }

  public boolean redecideWhenStoredRequested() {
    return redecide;
  }

  /** Taken by the worker that starts the call, or by a cancel: whichever comes first. */
  boolean claim() {
    return claimed.compareAndSet(false, true);
  }

  /** When the request was sent; null before. */
  synchronized Instant startedAt() {
    return started;
  }

  synchronized void started(Instant at) {
    started = at;
    state = State.RUNNING;
  }

  synchronized void finished(InvocationResult outcome, Instant at) {
    result = outcome;
    finished = at;
    state = State.FINISHED;
  }

  /**
   * Its resource is gone: a call not finished yet is dropped when it finishes (or not started).
   *
   * @return false when the call had already finished, so the caller drops it now
   */
  synchronized boolean orphanUnlessFinished() {
    if (state == State.FINISHED) {
      return false;
    }
    orphaned = true;
    return true;
  }

  synchronized boolean orphaned() {
    return orphaned;
  }
}
