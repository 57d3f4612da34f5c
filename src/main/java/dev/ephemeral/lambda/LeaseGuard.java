package dev.ephemeral.lambda;

import dev.ephemeral.lambda.invoke.CallGate;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets this replica start a Lambda call only while it can prove that it still holds the leader
 * Lease with margin: the last renewal of its own that it read back from the Lease is younger than
 * the renew deadline. A standby may take the Lease only once the (longer) lease duration has passed
 * since the last renewal, so this replica stops starting calls before another one can start any.
 * The framework's elector is no help here: against an API server that no longer answers, it gives
 * a renewal up only once its requests time out, long after a standby may have taken over.
 *
 * <p>A renewal's time is the renewTime this replica's elector wrote, taken from this process's
 * clock; read back from the Lease, it proves that the API server accepted that renewal.
 */
public final class LeaseGuard implements CallGate {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseGuard.class);

  /**
   * The part of the renew deadline kept in hand: a call checked just before the gate closes still
   * needs a moment (a thread switch, a pause, a connection) before its request leaves.
   */
  private static final int MARGIN_DIVISOR = 10;

  private final String lease;
  private final String identity;
  private final Duration renewDeadline;
  private final Duration window;
  private final Clock clock;

  /** The holder the last read of the Lease found; null before the first read or without Lease. */
  private String holder;

  /** The latest renewal of this replica read back from the Lease; null before the first. */
  private Instant lastConfirmed;

  /** Whether the gate was open when last looked at: its changes are logged once each. */
  private boolean open;

  /** Calls held at the gate now. */
  private int waiting;

  /**
   * @param lease the Lease's namespace and name, for the logs
   * @param identity the holder identity this replica's elector writes into the Lease
   * @param renewDeadline the elector's renew deadline, shorter than the lease duration
   */
  public LeaseGuard(String lease, String identity, Duration renewDeadline, Clock clock) {
    this.lease = lease;
    this.identity = identity;
    this.renewDeadline = renewDeadline;
    this.window = renewDeadline.minus(renewDeadline.dividedBy(MARGIN_DIVISOR));
    this.clock = clock;
  }

  /**
   * What a read of the Lease found.
   *
   * @param record the Lease's record; null when there is no Lease
   * @param readStartedAt when the read was sent, on {@code clock}
   */
  public synchronized void observed(LeaderElectionRecord record, Instant readStartedAt) {
    holder = record == null ? null : record.getHolderIdentity();
    if (identity.equals(holder) && record.getRenewTime() != null) {
      Instant renewed = record.getRenewTime().toInstant();
      // Stamped after the read was sent (written while the read was on its way): counted from the
      // send, never later than this process could have seen it.
      if (renewed.isAfter(readStartedAt)) {
        renewed = readStartedAt;
      }
      if (lastConfirmed == null || renewed.isAfter(lastConfirmed)) {
        lastConfirmed = renewed;
      }
    }
    if (mayStartCall()) {
      notifyAll();
    }
  }

  /** Whether this replica may start a call now; a change since the last look is logged. */
  public synchronized boolean mayStartCall() {
    Instant now = clock.instant();
    boolean may =
        identity.equals(holder)
            && lastConfirmed != null
            && now.isBefore(lastConfirmed.plus(window));
    if (may && !open) {
      LOG.atInfo()
          .addKeyValue("lease", lease)
          .log("Starting Lambda calls: this replica confirmed its leader Lease");
    } else if (!may && open) {
      LOG.atWarn()
          .addKeyValue("lease", lease)
          .addKeyValue("holder", holder)
          .addKeyValue("sinceLastRenewal", Duration.between(lastConfirmed, now))
          .addKeyValue("renewDeadline", renewDeadline)
          .log(
              "Not starting Lambda calls: this replica has not confirmed its leader Lease within the"
                  + " renew deadline; queued calls wait, calls already running finish");
    }
    open = may;
    return may;
  }

  @Override
  public synchronized boolean awaitMayStartCall() {
    waiting++;
    try {
      // Time only closes the gate; a read of the Lease that opens it wakes the waiters.
      while (!mayStartCall()) {
        wait();
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      waiting--;
    }
  }

  /** Calls held at the gate now, waiting for this replica to confirm its Lease. */
  public synchronized int waiting() {
    return waiting;
  }
}
