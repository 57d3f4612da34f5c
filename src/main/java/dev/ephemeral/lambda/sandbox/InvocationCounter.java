package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Trigger;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counts invocations per LambdaInvocation (namespace/name) for the sandbox's report. */
final class InvocationCounter implements InvocationObserver {

  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

  @Override
  public void invoked(
      LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency) {
    counts
        .computeIfAbsent(
            key(resource.getMetadata().getNamespace(), resource.getMetadata().getName()),
            k -> new AtomicLong())
        .incrementAndGet();
  }

  long count(String namespace, String name) {
    AtomicLong count = counts.get(key(namespace, name));
    return count == null ? 0 : count.get();
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
