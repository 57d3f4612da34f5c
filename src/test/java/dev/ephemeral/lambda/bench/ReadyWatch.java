package dev.ephemeral.lambda.bench;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Watches the LambdaInvocations of a namespace as a user would, and notes when the last of them
 * became Ready (reason Invoked, for its current generation). A watch, not polling: listing a
 * thousand objects again and again would load the API server the operator is measured against.
 */
final class ReadyWatch implements AutoCloseable {

  private final int expected;
  private final Set<String> ready = ConcurrentHashMap.newKeySet();
  private final SharedIndexInformer<LambdaInvocation> informer;
  private volatile Instant allReadyAt;

  ReadyWatch(KubernetesClient client, String namespace, int expected) {
    this.expected = expected;
    this.informer =
        client
            .resources(LambdaInvocation.class)
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(LambdaInvocation resource) {
                    seen(resource);
                  }

                  @Override
                  public void onUpdate(LambdaInvocation old, LambdaInvocation resource) {
                    seen(resource);
                  }

                  @Override
                  public void onDelete(LambdaInvocation resource, boolean unknownFinalState) {}
                });
  }

  private void seen(LambdaInvocation resource) {
    var status = resource.getStatus();
    if (status != null
        && status.isReady()
        && status.hasReason(ReadyReason.Invoked.name())
        && resource.getMetadata().getGeneration().equals(status.getObservedGeneration())) {
      ready.add(resource.getMetadata().getUid());
      synchronized (this) {
        if (allReadyAt == null && ready.size() >= expected) {
          allReadyAt = Instant.now();
          notifyAll();
        }
      }
    }
  }

  /** Waits at most {@code timeout} for all to be Ready; returns when that happened, or null. */
  synchronized Instant await(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (allReadyAt == null) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return allReadyAt;
  }

  int readyCount() {
    return ready.size();
  }

  @Override
  public void close() {
    informer.close();
  }
}
