package dev.ephemeral.lambda.bench;

import dev.ephemeral.lambda.bench.RunSampler.Sample;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What the samples of a run show while its calls were being started (from the first call received
 * to the last one received, so the last wave's winding down does not count).
 *
 * @param peakHeapBytes the most heap used, over the whole run
 * @param cpuShare the process's CPU time over that window, as a share of all cores (1 = all busy)
 * @param starvedShare the share of samples in that window with a free slot and no call waiting for
 *     it: the queue ran dry, so calls were started later than a plain program would start them
 */
record RunProfile(long peakHeapBytes, double cpuShare, double starvedShare) {

  static RunProfile of(List<Sample> samples, Instant from, Instant to, int cores, int inFlight) {
    long peak = samples.stream().mapToLong(Sample::heapBytes).max().orElse(0);
    if (from == null || to == null || !to.isAfter(from)) {
      return new RunProfile(peak, Double.NaN, Double.NaN);
    }
    List<Sample> window =
        samples.stream().filter(s -> !s.at().isBefore(from) && !s.at().isAfter(to)).toList();
    if (window.size() < 2) {
      return new RunProfile(peak, Double.NaN, Double.NaN);
    }
    Sample first = window.get(0);
    Sample last = window.get(window.size() - 1);
    long wallNanos = Duration.between(first.at(), last.at()).toNanos();
    double cpu =
        wallNanos == 0
            ? Double.NaN
            : (double) (last.cpuNanos() - first.cpuNanos()) / wallNanos / cores;
    long starved = window.stream().filter(s -> s.inFlight() < inFlight && s.waiting() == 0).count();
    return new RunProfile(peak, cpu, (double) starved / window.size());
  }
}
