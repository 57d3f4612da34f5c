package dev.ephemeral.lambda.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.Event;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the framework's reconciles of each resource, by namespace/name, across operator restarts,
 * and passes every call on to the running operator's framework metrics. Counting finished
 * executions too tells a test when the operator has decided on an event, so it can assert "no
 * call" without an idle wait.
 */
final class ReconcileCounter implements Metrics {

  private volatile Metrics next = Metrics.NOOP;
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> started = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> finished = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastStarted = new ConcurrentHashMap<>();

  /** From now on, passes every call on to {@code next}. */
  void passTo(Metrics next) {
    this.next = next;
  }

  /** Reconciles so far, by namespace/name. */
  Map<String, Integer> counts() {
    var copy = new java.util.TreeMap<String, Integer>();
    counts.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  int total() {
    return counts.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** Reconcile executions of namespace/name {@code key} that have started so far. */
  int started(String key) {
    return get(started, key);
  }

  /**
   * Whether an execution of namespace/name {@code key} that started after {@code startedBefore}
   * executions has finished, and none is running: the reconciler has decided on everything it had
   * seen by then.
   */
  boolean settledSince(String key, int startedBefore) {
    int begun = get(started, key);
    return begun > startedBefore && get(finished, key) == begun;
  }

  /**
   * Whether an execution of namespace/name {@code key} that started after {@code instant} has
   * finished, and none is running.
   */
  boolean settledAfter(String key, Instant instant) {
    Instant last = lastStarted.get(key);
    return last != null && last.isAfter(instant) && get(finished, key) == get(started, key);
  }

  @Override
  public void reconcileCustomResource(
      HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
    increment(counts, resource);
    next.reconcileCustomResource(resource, retryInfo, metadata);
  }

  @Override
  public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
    lastStarted.put(key(resource), Instant.now());
    increment(started, resource);
    next.reconciliationExecutionStarted(resource, metadata);
  }

  @Override
  public void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
    next.reconciliationExecutionFinished(resource, metadata);
    increment(finished, resource);
  }

  @Override
  public void controllerRegistered(Controller<? extends HasMetadata> controller) {
    next.controllerRegistered(controller);
  }

  @Override
  public void receivedEvent(Event event, Map<String, Object> metadata) {
    next.receivedEvent(event, metadata);
  }

  @Override
  public void failedReconciliation(
      HasMetadata resource, Exception exception, Map<String, Object> metadata) {
    next.failedReconciliation(resource, exception, metadata);
  }

  @Override
  public void cleanupDoneFor(ResourceID resourceID, Map<String, Object> metadata) {
    next.cleanupDoneFor(resourceID, metadata);
  }

  @Override
  public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
    next.finishedReconciliation(resource, metadata);
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    return next.timeControllerExecution(execution);
  }

  @Override
  public <T extends Map<?, ?>> T monitorSizeOf(T map, String name) {
    return next.monitorSizeOf(map, name);
  }

  private static void increment(Map<String, AtomicInteger> tally, HasMetadata resource) {
    tally.computeIfAbsent(key(resource), k -> new AtomicInteger()).incrementAndGet();
  }

  private static int get(Map<String, AtomicInteger> tally, String key) {
    var n = tally.get(key);
    return n == null ? 0 : n.get();
  }

  private static String key(HasMetadata resource) {
    return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
  }
}
