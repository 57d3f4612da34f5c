package dev.ephemeral.lambda.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The calls one run made to the endpoint, as the endpoint saw them: each starts when it is received
 * and ends the function's fixed latency later.
 *
 * @param calls how many calls were received
 * @param span from the first call received to the last one completed (zero without calls)
 * @param peakConcurrency the most calls running at the endpoint at once
 * @param rampUp from the first call received until as many ran at once as the limit allows (the
 *     limit, or every call if there are fewer); null if that never happened
 * @param firstStart when the first call was received (null without calls)
 * @param lastStart when the last call was received (null without calls)
 */
record CallSpan(
    int calls,
    Duration span,
    int peakConcurrency,
    Duration rampUp,
    Instant firstStart,
    Instant lastStart) {

  static CallSpan of(Collection<Instant> receivedAt, Duration latency, int inFlight) {
    if (receivedAt.isEmpty()) {
      return new CallSpan(0, Duration.ZERO, 0, null, null, null);
    }
    // +1 at a start, -1 at an end; at equal instants an end comes first (intervals are half-open).
    record Edge(Instant at, int change) {}
    List<Edge> edges = new ArrayList<>();
    for (Instant start : receivedAt) {
      edges.add(new Edge(start, 1));
      edges.add(new Edge(start.plus(latency), -1));
    }
    edges.sort(Comparator.comparing(Edge::at).thenComparingInt(Edge::change));
    Instant first = edges.get(0).at();
    Instant last = receivedAt.stream().max(Comparator.naturalOrder()).orElseThrow();
    int full = Math.min(inFlight, receivedAt.size());
    int running = 0;
    int peak = 0;
    Duration rampUp = null;
    for (Edge edge : edges) {
      running += edge.change();
      peak = Math.max(peak, running);
      if (rampUp == null && running >= full) {
        rampUp = Duration.between(first, edge.at());
      }
    }
    return new CallSpan(
        receivedAt.size(), Duration.between(first, last.plus(latency)), peak, rampUp, first, last);
  }

  /** The span a perfect client would need: full waves of {@code inFlight} calls, back to back. */
  static Duration ideal(int calls, int inFlight, Duration latency) {
    long waves = (calls + inFlight - 1L) / inFlight;
    return latency.multipliedBy(waves);
  }

  /** The calls running at once on average over the span. */
  double meanConcurrency(Duration latency) {
    return span.isZero() ? 0 : (double) latency.toNanos() * calls / span.toNanos();
  }
}
