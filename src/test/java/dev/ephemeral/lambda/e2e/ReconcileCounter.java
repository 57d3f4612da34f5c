package dev.ephemeral.lambda.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts the framework's reconciles of each resource, by namespace/name. */
final class ReconcileCounter implements Metrics {

  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

  @Override
  public void reconcileCustomResource(
      HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
    counts
        .computeIfAbsent(
            resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName(),
            k -> new AtomicInteger())
        .incrementAndGet();
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
}
