package dev.ephemeral.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A replica starts a call only while its last renewal read back from the Lease is younger than the
 * renew deadline, less a tenth kept in hand (here 3 s, so 2.7 s).
 */
class LeaseGuardTest {

  private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
  private static final Duration RENEW_DEADLINE = Duration.ofSeconds(3);
  private static final String LEASE = "lambda-invocation-system/lambda-invocation-operator";

  private final FakeClock clock = new FakeClock(T0);
  private final LeaseGuard guard = new LeaseGuard(LEASE, "a", RENEW_DEADLINE, clock);
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void captureLogs() {
    logs.start();
    guardLogger().addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    guardLogger().detachAppender(logs);
  }

  @Test
  void noCallStartsBeforeTheReplicaConfirmedItsLease() {
    assertThat(guard.mayStartCall()).isFalse();
    guard.observed(null, T0);
    assertThat(guard.mayStartCall()).as("no Lease yet").isFalse();
  }

  @Test
  void callsStartUntilTheRenewDeadlineLessItsMarginHasPassedSinceTheLastConfirmedRenewal() {
    guard.observed(renewedBy("a", T0), T0.plusMillis(100));
    assertThat(guard.mayStartCall()).isTrue();

    clock.set(T0.plusMillis(2_699));
    assertThat(guard.mayStartCall()).isTrue();
    clock.set(T0.plusMillis(2_700));
    assertThat(guard.mayStartCall()).isFalse();
  }

  @Test
  void aLaterRenewalReadBackKeepsCallsStartingAndAStaleReadDoesNotShortenIt() {
    guard.observed(renewedBy("a", T0), T0);
    clock.set(T0.plusSeconds(2));
    guard.observed(renewedBy("a", T0.plusSeconds(2)), T0.plusSeconds(2));
    // A read that was slow to come back with an older renewal.
    guard.observed(renewedBy("a", T0.plusSeconds(1)), T0.plusSeconds(1));

    clock.set(T0.plusMillis(4_600));
    assertThat(guard.mayStartCall()).isTrue();
    clock.set(T0.plusMillis(4_700));
    assertThat(guard.mayStartCall()).isFalse();
  }

  @Test
  void aRenewalStampedAfterTheReadWasSentCountsFromTheSend() {
    guard.observed(renewedBy("a", T0.plusSeconds(2)), T0);

    clock.set(T0.plusMillis(2_700));
    assertThat(guard.mayStartCall()).isFalse();
  }

  @Test
  void aLeaseHeldByAnotherReplicaStopsCallsAtOnce() {
    guard.observed(renewedBy("a", T0), T0);
    clock.set(T0.plusSeconds(1));
    guard.observed(renewedBy("b", T0.plusSeconds(1)), T0.plusSeconds(1));
    assertThat(guard.mayStartCall()).isFalse();

    guard.observed(null, T0.plusSeconds(1));
    assertThat(guard.mayStartCall()).as("the Lease deleted").isFalse();
  }

  @Test
  void aHeldCallWaitsQueuedAndStartsOnceARenewalIsConfirmedAgain() {
    guard.observed(renewedBy("a", T0), T0);
    clock.set(T0.plusSeconds(5));
    CompletableFuture<Boolean> held = CompletableFuture.supplyAsync(guard::awaitMayStartCall);
    await().atMost(Duration.ofSeconds(5)).until(() -> guard.waiting() == 1);
    assertThat(held).isNotDone();

    guard.observed(renewedBy("a", T0.plusSeconds(5)), T0.plusSeconds(5));
    assertThat(held).succeedsWithin(5, TimeUnit.SECONDS).isEqualTo(true);
    assertThat(guard.waiting()).isZero();
  }

  @Test
  void aHeldCallIsNotStartedWhenItsWorkerIsInterrupted() {
    var result = new CompletableFuture<Boolean>();
    var stillInterrupted = new AtomicBoolean();
    Thread worker =
        new Thread(
            () -> {
              boolean started = guard.awaitMayStartCall();
              stillInterrupted.set(Thread.currentThread().isInterrupted());
              result.complete(started);
            });
    worker.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> guard.waiting() == 1);

    worker.interrupt();
    assertThat(result).succeedsWithin(5, TimeUnit.SECONDS).isEqualTo(false);
    assertThat(stillInterrupted).as("the interrupt is kept for the worker to see").isTrue();
    assertThat(guard.waiting()).isZero();
  }

  @Test
  void theGateClosingIsWarnedOnceWithTheLeaseAndTheTimeSinceTheLastRenewal() {
    guard.observed(renewedBy("a", T0), T0);
    clock.set(T0.plusSeconds(3));
    guard.mayStartCall();
    clock.set(T0.plusSeconds(4));
    guard.mayStartCall();
    guard.mayStartCall();

    List<ILoggingEvent> warnings =
        logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0).getKeyValuePairs())
        .anySatisfy(
            kv -> {
              assertThat(kv.key).isEqualTo("lease");
              assertThat(kv.value).isEqualTo(LEASE);
            })
        .anySatisfy(
            kv -> {
              assertThat(kv.key).isEqualTo("sinceLastRenewal");
              assertThat(kv.value).isEqualTo(Duration.ofSeconds(3));
            });

    guard.observed(renewedBy("a", T0.plusSeconds(4)), T0.plusSeconds(4));
    assertThat(guard.mayStartCall()).isTrue();
    assertThat(logs.list.get(logs.list.size() - 1).getLevel()).isEqualTo(Level.INFO);
  }

  private static LeaderElectionRecord renewedBy(String holder, Instant renewTime) {
    return new LeaderElectionRecord(
        holder,
        Duration.ofSeconds(4),
        T0.atZone(ZoneOffset.UTC),
        renewTime.atZone(ZoneOffset.UTC),
        0);
  }

  private static ch.qos.logback.classic.Logger guardLogger() {
    return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(LeaseGuard.class);
  }

  /** A clock the test moves. */
  private static final class FakeClock extends Clock {
    private volatile Instant now;

    FakeClock(Instant now) {
      this.now = now;
    }

    void set(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
