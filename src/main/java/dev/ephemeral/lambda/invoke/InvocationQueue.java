package dev.ephemeral.lambda.invoke;

import dev.ephemeral.lambda.customresource.ReadyReason;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Lambda calls off the reconcile threads: one first-in-first-out queue and a fixed number of
 * worker threads (the most invocations in flight). A worker that finishes a call takes the next
 * waiting one at once, so no permit sits idle while a resource waits, and no resource is turned
 * away or reconciled again while it waits. Each resource has at most one call here (queued,
 * running, or finished and not yet stored), so the queue is bounded by the number of resources.
 *
 * @param <T> what the caller keeps with a call, to store its result later
 */
public final class InvocationQueue<T> implements AutoCloseable {

  /** Where a call is. */
  public enum State {
    QUEUED,
    RUNNING,
    FINISHED
  }

  /**
   * One resource's call. {@code result} is sensitive (it holds the function's result): it goes
   * into the Secret and nowhere else.
   */
  public static final class Call<T> {
    private final String uid;
    private final T context;
    private final InvocationRequest request;
    private volatile State state = State.QUEUED;
    private volatile Instant started;
    private volatile Instant finished;
    private volatile InvocationResult result;

    /** Set once, by the worker that starts the call or by {@link #cancel}: never both. */
    private final java.util.concurrent.atomic.AtomicBoolean claimed =
        new java.util.concurrent.atomic.AtomicBoolean();

    /** The worker task that makes the call, while it waits in the workers' queue. */
    private volatile Runnable task;

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

    public State state() {
      return state;
    }

    /** The call's outcome, once {@link #state()} is FINISHED. */
    public InvocationResult result() {
      return result;
    }

    public Instant finishedAt() {
      return finished;
    }

    /** Time from sending the request to the response. */
    public Duration latency() {
      return Duration.between(started, finished);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(InvocationQueue.class);

  private final LambdaInvoker invoker;
  private final Clock clock;
  private final CallGate gate;
  private final ThreadPoolExecutor workers;

  /**
   * Tells the framework that a call finished, on its own thread: a worker goes straight to the
   * next waiting call instead of waiting on the framework's event lock.
   */
  private final ExecutorService notifier =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread thread = new Thread(task, "lambda-invoker-done");
            thread.setDaemon(true);
            return thread;
          });
  private final Map<ResourceID, Call<T>> calls = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private volatile boolean accepting = true;
  private volatile Consumer<ResourceID> onFinished = id -> {};

  /** @param gate asked right before each call starts whether this replica may start it */
  public InvocationQueue(LambdaInvoker invoker, int maxInFlight, Clock clock, CallGate gate) {
    this.invoker = invoker;
    this.clock = clock;
    this.gate = gate;
    var threads = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            maxInFlight,
            maxInFlight,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            task -> {
              Thread thread = new Thread(task, "lambda-invoker-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Called with the resource's id when its call finished; set once, before the first submit. */
  public void onFinished(Consumer<ResourceID> listener) {
    this.onFinished = listener;
  }

  /**
   * Queues a call for the resource.
   *
   * @return false when the resource already has a call here, or the queue no longer takes calls
   */
  public boolean submit(ResourceID id, String uid, InvocationRequest request, T context) {
    if (!accepting) {
      return false;
    }
    var call = new Call<>(uid, context, request);
    call.task = () -> run(id, call);
    if (calls.putIfAbsent(id, call) != null) {
      return false;
    }
    workers.execute(call.task);
    return true;
  }

  private void run(ResourceID id, Call<T> call) {
    // Before the claim: a call held at the gate is still queued, and can still be cancelled.
    if (!gate.awaitMayStartCall()) {
      return;
    }
    if (!call.claimed.compareAndSet(false, true)) {
      // Cancelled while it waited.
      return;
    }
    if (!accepting) {
      // Stopping: a call that has not started is not started (the next leader or start decides).
      calls.remove(id, call);
      signalChange();
      return;
    }
    running.incrementAndGet();
    try {
      call.started = clock.instant();
      call.state = State.RUNNING;
      InvocationResult result;
      try {
        result = invoker.invoke(call.request);
      } catch (RuntimeException e) {
        // The invoker classifies every AWS failure; anything else is a bug, reported without data.
        LOG.atError()
            .addKeyValue("error", e.getClass().getName())
            .log("The Lambda invoker failed unexpectedly");
        result =
            new InvocationResult.Failed(
                ReadyReason.InvocationFailed,
                RetryClass.BACKOFF,
                "the invocation failed inside the operator (" + e.getClass().getSimpleName() + ")");
      }
      call.result = result;
      call.finished = clock.instant();
      call.state = State.FINISHED;
    } finally {
      running.decrementAndGet();
    }
    notifier.execute(
        () -> {
          signalChange();
          onFinished.accept(id);
        });
  }

  /** The resource's call, if it has one here. */
  public Optional<Call<T>> get(ResourceID id) {
    return Optional.ofNullable(calls.get(id));
  }

  /**
   * Drops a call that is still waiting for a worker: it is never made. A call already running or
   * finished is left as it is.
   *
   * @return whether the call was dropped
   */
  public boolean cancel(ResourceID id, Call<T> call) {
    if (!call.claimed.compareAndSet(false, true)) {
      return false;
    }
    // Out of the workers' queue, so it no longer counts as waiting.
    workers.remove(call.task);
    calls.remove(id, call);
    signalChange();
    return true;
  }

  /** Forgets a finished call once its result was stored (or is no longer wanted). */
  public void remove(ResourceID id, Call<T> call) {
    calls.remove(id, call);
    signalChange();
  }

  /** Forgets finished calls of resources that no longer exist. */
  public void retainFinished(Predicate<Call<T>> keep) {
    calls.entrySet().removeIf(e -> e.getValue().state == State.FINISHED && !keep.test(e.getValue()));
    signalChange();
  }

  /** Calls running now. */
  public int inFlight() {
    return running.get();
  }

  /** Calls waiting for a worker. */
  public int waiting() {
    return workers.getQueue().size();
  }

  public boolean isAccepting() {
    return accepting;
  }

  /** No call is started from now on; calls already running go on. */
  public void stopAccepting() {
    accepting = false;
  }

  /**
   * Waits until no call is running and every finished one was stored (or dropped), at most {@code
   * grace}.
   *
   * @return whether that happened in time
   */
  public boolean awaitSettled(Duration grace) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    synchronized (this) {
      while (!settled()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
    return true;
  }

  /** Nothing running, nothing finished and unstored (queued calls are dropped once stopped). */
  private boolean settled() {
    return calls.values().stream().allMatch(c -> c.state == State.QUEUED);
  }

  private synchronized void signalChange() {
    notifyAll();
  }

  /** Stops the workers; a call still running loses its result. */
  @Override
  public void close() {
    stopAccepting();
    workers.shutdownNow();
    notifier.shutdownNow();
  }
}
