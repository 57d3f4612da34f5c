package dev.ephemeral.lambda.invoke;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lambda calls of the LambdaInvocations, as the secondary resource a reconcile reads from its
 * {@code Context}: a call is queued by one reconcile, runs on this source's own worker threads, and
 * its finish is an event that brings the resource back, where the reconcile finds the finished
 * call and stores its result. So a reconcile thread never waits on Lambda.
 *
 * <p>One first-in-first-out queue and a fixed number of workers (the most calls in flight): a
 * worker that finishes a call takes the next waiting one at once, so no slot sits idle while a
 * resource waits. Each resource has at most one call here (queued, running, or finished and not
 * yet stored), so the queue is bounded by the number of resources. When a resource is deleted, the
 * framework tells this source: a call still waiting is not made, and a finished one is dropped.
 *
 * <p>Within that limit, each function and each region has its own, adapted to Lambda's throttling
 * ({@link ConcurrencyLimits}). A worker that takes a call its function or region cannot start now
 * sets it aside and takes the next one, so a throttled function never holds up the others; the
 * calls set aside go back in line when a call ends or a pause is over. A throttled call (429: the
 * function did not run) finishes as such, and its resource retries it with backoff, as any other
 * failure: under the lowered limit, and not before the pause the throttle asked for.
 *
 * @param <T> what the reconciler keeps with a call, to store its result later
 */
public final class CallEventSource<T> extends AbstractEventSource<Call<T>, LambdaInvocation>
    implements ResourceEventAware<LambdaInvocation>, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CallEventSource.class);

  private final LambdaInvoker invoker;
  private final Clock clock;
  private final CallGate gate;
  private final ThreadPoolExecutor workers;
  private final ConcurrencyLimits limits;
  private final CallsSetAside<T> setAside;

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

  /**
   * Uids of the resources this process has decided on: an operator start invokes each live
   * resource once (with invokePolicy EveryReconcile), and only once per process.
   */
  private final Set<String> decided = ConcurrentHashMap.newKeySet();

  private final AtomicInteger running = new AtomicInteger();
  private volatile boolean accepting = true;

  public CallEventSource(LambdaInvoker invoker, int maxInFlight, Clock clock, CallGate gate) {
    this(
        invoker,
        maxInFlight,
        clock,
        gate,
        new ConcurrencyLimits(maxInFlight, maxInFlight, clock, ConcurrencyLimits.Listener.NONE));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public CallEventSource(
      LambdaInvoker invoker,
      int maxInFlight,
      Clock clock,
      CallGate gate,
      ConcurrencyLimits limits) {
    super((Class) Call.class, "lambda-calls");
    this.invoker = invoker;
    this.clock = clock;
    this.gate = gate;
    this.limits = limits;
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
    this.setAside = new CallsSetAside<>(limits, clock, call -> workers.execute(call.task));
  }

  public CallEventSource(LambdaInvoker invoker, int maxInFlight, Clock clock) {
    this(invoker, maxInFlight, clock, CallGate.OPEN);
  }

  /**
   * The call of the resource's name: queued, running or finished. It may belong to a predecessor
   * under the same name (deleted and recreated): its {@link Call#uid()} says.
   */
  @Override
  public Set<Call<T>> getSecondaryResources(LambdaInvocation primary) {
    return Optional.ofNullable(calls.get(ResourceID.fromResource(primary)))
        .map(Set::of)
        .orElse(Set.of());
  }

  /**
   * Whether this is the first decision this process makes about the resource (then an operator
   * start is a trigger); marks it decided.
   */
  public boolean firstDecision(LambdaInvocation resource) {
    return decided.add(resource.getMetadata().getUid());
  }

  /**
   * Queues a call for the resource.
   *
   * @return false when the resource already has a call here, or no call is started any more
   */
  public boolean submit(LambdaInvocation resource, InvocationRequest request, T context) {
    if (!accepting) {
      return false;
    }
    var id = ResourceID.fromResource(resource);
    var call = new Call<>(resource.getMetadata().getUid(), context, request);
    if (calls.putIfAbsent(id, call) != null) {
      return false;
    }
    call.task = () -> run(id, call);
    workers.execute(call.task);
    return true;
  }

  private void run(ResourceID id, Call<T> call) {
    // Before the claim: a call held at the gate (this replica cannot prove it still leads) is
    // still queued, next in line, and can still be cancelled.
    if (!gate.awaitMayStartCall()) {
      // Interrupted: the source is closing.
      return;
    }
    if (!limits.tryAcquire(call.request())) {
      // Its function or region is at its limit: the worker goes on to the next call.
      setAside.add(call);
      return;
    }
    if (!call.claim()) {
      // Cancelled while it waited.
      limits.release(call.request(), false);
      return;
    }
    if (!accepting || call.orphaned()) {
      limits.release(call.request(), false);
      // Stopping, or the resource is gone: a call that has not started is not started (the next
      // leader or start decides).
      calls.remove(id, call);
      signalChange();
      return;
    }
    running.incrementAndGet();
    try {
      call.started(clock.instant());
      InvocationResult result;
      try {
        result = invoker.invoke(call.request());
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
      if (result instanceof InvocationResult.Failed failed && failed.throttled().isPresent()) {
        throttled(call, failed);
      } else {
        limits.release(call.request(), !(result instanceof InvocationResult.Failed f) || ran(f));
      }
      call.finished(result, clock.instant());
    } finally {
      running.decrementAndGet();
      setAside.backInLine();
    }
    try {
      notifier.execute(
          () -> {
            if (call.orphaned()) {
              // Its resource is gone: the result is dropped, and a successor under the same
              // name, if any, is decided on now that the name is free.
              calls.remove(id, call);
            }
            signalChange();
            if (isRunning()) {
              getEventHandler().handleEvent(new Event(id));
            }
          });
    } catch (RejectedExecutionException e) {
      // Closed while the call ran: nothing is stored, and nobody is to be told.
    }
  }

  /**
   * A throttled call (the function did not run): its limits shrink and pause as the throttle says;
   * once the pause is over, the calls set aside for it go back in line.
   */
  private void throttled(Call<T> call, InvocationResult.Failed failed) {
    limits
        .throttled(call.request(), failed.throttled().get(), failed.retryAfter(), call.startedAt())
        .ifPresent(setAside::backInLineAt);
  }

  /** Whether the function ran, whatever it returned: a function error is its own answer. */
  private static boolean ran(InvocationResult.Failed failed) {
    return failed.reason() == ReadyReason.FunctionError;
  }

  /**
   * Drops a call that is still waiting for a worker: it is never made. A call already running or
   * finished is left as it is.
   *
   * @return whether the call was dropped
   */
  public boolean cancel(LambdaInvocation resource, Call<T> call) {
    if (!call.claim()) {
      return false;
    }
    // Out of the workers' queue, so it no longer counts as waiting.
    workers.remove(call.task);
    setAside.remove(call);
    calls.remove(ResourceID.fromResource(resource), call);
    signalChange();
    return true;
  }

  /** Forgets a finished call once its result was stored (or is no longer wanted). */
  public void consume(LambdaInvocation resource, Call<T> call) {
    calls.remove(ResourceID.fromResource(resource), call);
    signalChange();
  }

  /**
   * The resource is gone: a call still waiting is not made, a finished one is dropped, and a
   * running one is dropped when it finishes (its result belongs to nobody now). A successor under
   * the same name is brought back then, so it is decided on once the name is free.
   */
  @Override
  public void onResourceDeleted(LambdaInvocation resource) {
    String uid = resource.getMetadata().getUid();
    decided.remove(uid);
    var id = ResourceID.fromResource(resource);
    var call = calls.get(id);
    if (call != null && call.uid().equals(uid)) {
      if (cancelQueued(id, call) || !call.orphanUnlessFinished()) {
        calls.remove(id, call);
        signalChange();
      }
    }
  }

  private boolean cancelQueued(ResourceID id, Call<T> call) {
    if (!call.claim()) {
      return false;
    }
    workers.remove(call.task);
    setAside.remove(call);
    calls.remove(id, call);
    return true;
  }

  /** Calls running now. */
  public int inFlight() {
    return running.get();
  }

  /** Calls waiting for a worker, or for their function's or region's limit. */
  public int waiting() {
    return workers.getQueue().size() + setAside.size();
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
    return calls.values().stream().allMatch(c -> c.state() == Call.State.QUEUED);
  }

  private synchronized void signalChange() {
    notifyAll();
  }

  @Override
  public void stop() {
    super.stop();
    close();
  }

  /** Stops the workers; a call still running loses its result. */
  @Override
  public void close() {
    stopAccepting();
    workers.shutdownNow();
    notifier.shutdownNow();
    setAside.close();
  }
}
