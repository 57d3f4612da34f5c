package dev.ephemeral.lambda.invoke;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How many calls may be in flight to each function and to each region, adapted to Lambda's
 * throttling by AIMD: a throttle (429, the function did not run) halves the limit of what it
 * applies to, the function's or, for an account-wide reason, the region's; each call that ran
 * grows it back by 1/limit (so by about one per round of calls), up to its ceiling. A throttle
 * with a Retry-After pauses it that long; one without, while none of the operator's calls to it is
 * in flight (none of which could let the next start), pauses it for {@link #IDLE_PAUSE}.
 *
 * <p>Home-made rather than Netflix's concurrency-limits (AIMDLimit): that library is not among
 * those known to resolve for this project, and its limiter knows neither a pause ordered by the
 * service nor one limit nested in another (a function within its region), which are what this
 * needs; the AIMD rule itself is a few lines.
 */
public final class ConcurrencyLimits {

  /** The factor a throttle leaves of a limit. */
  static final double BACKOFF_RATIO = 0.5;

  /**
   * The wait after a throttle that gave no Retry-After, when no call of the operator's is in flight
   * to what was throttled: without it, the next call would be sent at once, into the same limit.
   */
  static final Duration IDLE_PAUSE = Duration.ofSeconds(1);

  /** Told of each limit when it is first used (to show it as a gauge), and of each throttle. */
  public interface Listener {
    void limitCreated(ThrottleScope scope, String key, Limit limit);

    void throttled(ThrottleScope scope);

    Listener NONE =
        new Listener() {
          @Override
          public void limitCreated(ThrottleScope scope, String key, Limit limit) {}

          @Override
          public void throttled(ThrottleScope scope) {}
        };
  }

  /** One adaptive limit: its current value, the calls in flight under it, and any pause. */
  public static final class Limit {
    private final int ceiling;
    private double value;
    private int inFlight;
    private Instant pausedUntil = Instant.MIN;

    /**
     * When it last shrank: the throttles of calls sent before then answer the limit it had then,
     * and are not counted again (as TCP halves its window once per round trip).
     */
    private Instant shrunkAt = Instant.MIN;

    Limit(int ceiling) {
      this.ceiling = ceiling;
      this.value = ceiling;
    }

    /** The calls that may be in flight now (at least one). */
    public synchronized int current() {
      return (int) Math.max(1, Math.floor(value));
    }

    private boolean admits(Instant now) {
      return inFlight < current() && !now.isBefore(pausedUntil);
    }

    private void grow() {
      // Only a limit in use grows: an idle one would otherwise climb back to its ceiling unseen.
      if (inFlight * 2 >= current()) {
        value = Math.min(ceiling, value + 1.0 / value);
      }
    }

    private void shrink(Instant sentAt, Instant now) {
      if (sentAt != null && sentAt.isBefore(shrunkAt)) {
        return;
      }
      value = Math.max(1, value * BACKOFF_RATIO);
      shrunkAt = now;
    }
  }

  private final int maxInFlight;
  private final int maxPerFunction;
  private final Clock clock;
  private final Listener listener;
  private final Map<String, Limit> functions = new HashMap<>();
  private final Map<String, Limit> regions = new HashMap<>();

  /**
   * @param maxInFlight the ceiling of a region's limit: the operator's whole in-flight limit
   * @param maxPerFunction the ceiling of a function's limit (at most {@code maxInFlight})
   */
  public ConcurrencyLimits(int maxInFlight, int maxPerFunction, Clock clock, Listener listener) {
    this.maxInFlight = maxInFlight;
    this.maxPerFunction = Math.min(maxPerFunction, maxInFlight);
    this.clock = clock;
    this.listener = listener;
  }

  /** Whether a call of {@code request} may start now; if so, it counts as in flight. */
  public synchronized boolean tryAcquire(InvocationRequest request) {
    Instant now = clock.instant();
    Limit function = function(request);
    Limit region = region(request);
    synchronized (function) {
      synchronized (region) {
        if (!function.admits(now) || !region.admits(now)) {
          return false;
        }
        function.inFlight++;
        region.inFlight++;
        return true;
      }
    }
  }

  /** Whether a call of {@code request} could start now, without taking its place. */
  public synchronized boolean admits(InvocationRequest request) {
    Instant now = clock.instant();
    Limit function = function(request);
    Limit region = region(request);
    synchronized (function) {
      synchronized (region) {
        return function.admits(now) && region.admits(now);
      }
    }
  }

  /**
   * A call acquired with {@link #tryAcquire} is over, or was not made.
   *
   * @param ran whether the function ran (whatever it returned): the limits grow
   */
  public synchronized void release(InvocationRequest request, boolean ran) {
    Limit function = function(request);
    Limit region = region(request);
    synchronized (function) {
      synchronized (region) {
        function.inFlight--;
        region.inFlight--;
        if (ran) {
          function.grow();
          region.grow();
        }
      }
    }
  }

  /**
   * A call acquired with {@link #tryAcquire} was throttled: its place is given back and the limit
   * of what the throttle applies to shrinks (once for the calls sent under the same limit), and is
   * paused as the service asked.
   *
   * @param sentAt when the throttled call was sent
   * @return until when it is paused; empty when not (a call of it still in flight lets the next
   *     start when it ends)
   */
  public synchronized Optional<Instant> throttled(
      InvocationRequest request,
      ThrottleScope scope,
      Optional<Duration> retryAfter,
      Instant sentAt) {
    Limit function = function(request);
    Limit region = region(request);
    Limit limited = scope == ThrottleScope.REGION ? region : function;
    synchronized (function) {
      synchronized (region) {
        function.inFlight--;
        region.inFlight--;
        limited.shrink(sentAt, clock.instant());
        listener.throttled(scope);
        Optional<Duration> pause =
            retryAfter.isPresent()
                ? retryAfter
                : limited.inFlight == 0 ? Optional.of(IDLE_PAUSE) : Optional.empty();
        pause.ifPresent(p -> limited.pausedUntil = clock.instant().plus(p));
        return pause.map(p -> limited.pausedUntil);
      }
    }
  }

  private Limit function(InvocationRequest request) {
    String key = regionKey(request) + "/" + request.functionName();
    return functions.computeIfAbsent(key, k -> created(ThrottleScope.FUNCTION, k, maxPerFunction));
  }

  private Limit region(InvocationRequest request) {
    return regions.computeIfAbsent(
        regionKey(request), k -> created(ThrottleScope.REGION, k, maxInFlight));
  }

  private Limit created(ThrottleScope scope, String key, int ceiling) {
    var limit = new Limit(ceiling);
    listener.limitCreated(scope, key, limit);
    return limit;
  }

  /** The region as the spec names it; the client's default region when it names none. */
  private static String regionKey(InvocationRequest request) {
    return request.region() == null ? "default" : request.region();
  }
}
