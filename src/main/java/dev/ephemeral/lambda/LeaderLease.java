package dev.ephemeral.lambda;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's hold on the leader Lease, given up on a clean stop so that the standby takes over
 * on its next try instead of once the lease duration has passed. java-operator-sdk stops leader
 * election without releasing the Lease: it builds fabric8's elector with releaseOnCancel off.
 */
public final class LeaderLease {

  private static final Logger LOG = LoggerFactory.getLogger(LeaderLease.class);

  private final KubernetesClient client;
  private final LeaseLock lock;

  public LeaderLease(KubernetesClient client, String namespace, String name, String identity) {
    this.client = client;
    this.lock = new LeaseLock(namespace, name, identity);
  }

  /** The holder identity this replica writes into the Lease. */
  public String identity() {
    return lock.identity();
  }

  /**
   * Releases the Lease if this replica still holds it, as client-go does: no holder, renewed now
   * for one second. The write carries the resourceVersion read, so a Lease that another replica
   * took meanwhile is left alone. Call it only once the operator stopped (no reconcile running), or
   * two replicas could invoke at once.
   *
   * @return whether this call released the Lease
   */
  public boolean releaseIfHeld() {
    try {
      LeaderElectionRecord current = lock.get(client);
      if (current == null || !lock.identity().equals(current.getHolderIdentity())) {
        return false;
      }
      ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
      lock.update(
          client,
          new LeaderElectionRecord(
              "", Duration.ofSeconds(1), now, now, current.getLeaderTransitions()));
      LOG.info("Released the leader Lease");
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        LOG.info("The leader Lease changed hands before it could be released");
      } else {
        LOG.atWarn()
            .addKeyValue("status", e.getCode())
            .log(
                "Could not release the leader Lease; the standby takes over when it expires: {}",
                e.getMessage());
      }
      return false;
    }
  }
}
