package dev.ephemeral.lambda;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the leader Lease once per retry period (as often as the elector renews it) and tells the
 * {@link LeaseGuard} what it found. Its own client gives a read up after half the renew deadline
 * (a renewal counts from when the read was sent, so a slower answer would be of little use) and
 * never repeats it: an API server that no longer answers leaves the guard without news, and time
 * closes the gate.
 */
final class LeasePoller implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LeasePoller.class);

  private final KubernetesClient client;
  private final LeaseLock lock;
  private final Duration period;
  private final LeaseGuard guard;
  private final Clock clock;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "leader-lease-check");
            thread.setDaemon(true);
            return thread;
          });

  /**
   * @param operatorClient the operator's client, whose API server and credentials are used
   * @param identity the holder identity this replica's elector writes
   * @param period the elector's retry period
   * @param renewDeadline the elector's renew deadline
   */
  LeasePoller(
      KubernetesClient operatorClient,
      String namespace,
      String name,
      String identity,
      Duration period,
      Duration renewDeadline,
      LeaseGuard guard,
      Clock clock) {
    int timeoutMillis = (int) renewDeadline.dividedBy(2).toMillis();
    this.client =
        KubernetesClientConfig.newClient(
            new ConfigBuilder(operatorClient.getConfiguration())
                .withConnectionTimeout(timeoutMillis)
                .withRequestTimeout(timeoutMillis)
                .withRequestRetryBackoffLimit(0)
                .build());
    this.lock = new LeaseLock(namespace, name, identity);
    this.period = period;
    this.guard = guard;
    this.clock = clock;
  }

  void start() {
    timer.scheduleWithFixedDelay(this::check, 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void check() {
    Instant readStartedAt = clock.instant();
    try {
      guard.observed(lock.get(client), readStartedAt);
    } catch (RuntimeException e) {
      // Any failure is no news; a failure here must not end the checks.
      LOG.atDebug()
          .addKeyValue("error", e.getClass().getName())
          .log("Could not read the leader Lease: {}", e.getMessage());
      // The gate's closing is logged when it happens, even with no call waiting.
      guard.mayStartCall();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    client.close();
  }
}
