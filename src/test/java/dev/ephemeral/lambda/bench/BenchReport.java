package dev.ephemeral.lambda.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/** The benchmark's printout: a table of the two runs, then one line per figure. */
final class BenchReport {

  private static final long MIB = 1024 * 1024;

  /** The system's load average (all processes, 1 minute) before and after the measured runs. */
  record Load(double before, double after) {}

  private BenchReport() {}

  static String render(
      Workload workload,
      OperatorRun.Result operator,
      PlainRun.Result plain,
      Duration idle,
      Load load) {
    int n = workload.resources();
    var out = new StringBuilder();
    line(
        out,
        "%d resources, function latency %d ms, %d in flight%s; ideal span %s",
        n,
        workload.latency().toMillis(),
        workload.inFlight(),
        workload.functionConcurrency() > 0
            ? ", function limited to " + workload.functionConcurrency() + " at once"
            : "",
        seconds(CallSpan.ideal(n, workload.concurrency(), workload.latency())));
    out.append('\n');
    line(
        out,
        "%-13s %6s %9s %9s %9s %6s %9s %10s",
        "run",
        "calls",
        "span",
        "in flight",
        "peak",
        "CPU",
        "starved",
        "peak heap");
    row(out, "operator", operator.calls(), operator.profile(), workload);
    row(out, "plain program", plain.calls(), plain.profile(), workload);
    line(
        out, "in flight: mean calls running at the endpoint over the span; peak: the most at once");
    line(
        out,
        "CPU (of %d cores), starved (a slot free, no call waiting): until the last call started",
        Runtime.getRuntime().availableProcessors());
    out.append('\n');
    line(
        out,
        "operator and plain program: this JVM; API server, Lambda endpoint and user: a child JVM");
    line(
        out,
        "CPU per call: this JVM's CPU time (GC, JIT included) from the operator's start to all"
            + " Ready (plain: the run) over the calls made");
    line(
        out,
        "heap per resource: this JVM's heap after a full GC once all are Ready, less the same"
            + " before the operator was built, over the resources (fixed costs included)");
    out.append('\n');
    line(out, "%-30s %.2f", "span ratio (operator/plain)", ratio(operator.calls(), plain.calls()));
    line(out, "%-30s %.2f", "calls per resource", perResource(operator.calls().calls(), n));
    line(
        out,
        "%-30s operator %s; plain %s",
        "function runs per resource",
        runs(operator.executions()),
        runs(plain.executions()));
    if (workload.functionConcurrency() > 0) {
      line(
          out,
          "%-30s operator %s; plain %s",
          "throttled (429) of requests",
          throttled(operator.executions()),
          throttled(plain.executions()));
    }
    if (operator.shards() != null) {
      shards(out, n, operator.shards(), workload);
    }
    line(out, "%-30s %.2f", "reconciles per resource", perResource(operator.reconciles(), n));
    line(
        out,
        "%-30s %.2f (writes %.2f)",
        "API requests per resource",
        perResource(operator.api().total(), n),
        perResource(operator.api().writes(), n));
    for (Map.Entry<String, Integer> kind : operator.api().byKind().entrySet()) {
      line(out, "  %-28s %.2f", kind.getKey(), perResource(kind.getValue(), n));
    }
    line(
        out,
        "%-30s %d (API requests %d, writes %d)",
        "calls while idle (" + idle.toSeconds() + " s)",
        operator.idleCalls(),
        operator.idleApi().total(),
        operator.idleApi().writes());
    line(
        out,
        "%-30s operator %s, plain %s",
        "first call to limit reached",
        millis(operator.calls().rampUp()),
        millis(plain.calls().rampUp()));
    line(
        out,
        "%-30s %s",
        "first call to all Ready",
        operator.firstCallToAllReady() == null
            ? "not all Ready (" + operator.ready() + " of " + n + ")"
            : seconds(operator.firstCallToAllReady()));
    line(
        out,
        "%-30s %s",
        "last call to all Ready",
        millis(operator.lastCallToAllReady(workload.latency())));
    int calls = operator.calls().calls();
    line(
        out,
        "%-30s operator %.3f ms, plain %.3f ms (ratio %.2f)",
        "CPU per call",
        perCallMillis(operator.cpu(), calls),
        perCallMillis(plain.cpu(), plain.calls().calls()),
        perCallMillis(operator.cpu(), calls) / perCallMillis(plain.cpu(), plain.calls().calls()));
    line(
        out,
        "%-30s %.2f cores (CPU per call x calls at once / latency; %d here)",
        "operator CPU to keep pace",
        perCallMillis(operator.cpu(), calls)
            * workload.concurrency()
            / workload.latency().toMillis(),
        cores());
    line(
        out,
        "%-30s %.2f KiB (%d MiB in all)",
        "operator heap per resource",
        (double) operator.heldHeapBytes() / 1024 / n,
        operator.heldHeapBytes() / MIB);
    Backend.Cpu doubles = operator.backendCpu();
    line(
        out,
        "%-30s %.0f%% of %d cores; busiest thread %.0f%% of a core (%s)",
        "test doubles' JVM CPU",
        share(doubles.process(), doubles.wall()) * 100 / cores(),
        cores(),
        share(doubles.busiestThreadCpu(), doubles.wall()) * 100,
        doubles.busiestThread());
    line(
        out,
        "%-30s %.0f%% of the operator's run (%s answering, one request at a time: near 100%%, and"
            + " the test API server set the pace)",
        "test API server busy",
        share(doubles.apiBusy(), doubles.wall()) * 100,
        seconds(doubles.apiBusy()));
    if (operator.restart() != null) {
      OperatorRun.Restart restart = operator.restart();
      line(
          out,
          "%-30s settled %s, calls %d, API requests per resource %.2f (writes %.2f)",
          "restart (OnChange)",
          restart.settled() == null ? "never" : seconds(restart.settled()),
          restart.calls(),
          perResource(restart.api().total(), n),
          perResource(restart.api().writes(), n));
    }
    line(out, "%-30s %d of %d", "plain calls succeeded", plain.succeeded(), n);
    line(
        out,
        "%-30s %.1f before, %.1f after (%d cores; other processes skew every figure)",
        "load average (1 min)",
        load.before(),
        load.after(),
        Runtime.getRuntime().availableProcessors());
    return out.toString();
  }

  private static void shards(StringBuilder out, int n, ShardTally tally, Workload workload) {
    Map<String, Integer> resources = ShardTally.resourcesByShard(n, tally.shardCount());
    line(
        out,
        "%-30s %d instances, each leading by its own Lease, %d in flight each",
        "shards",
        resources.size(),
        workload.inFlight() / resources.size());
    Map<String, Integer> invoked = tally.invokedByShard();
    for (Map.Entry<String, Integer> shard : resources.entrySet()) {
      line(
          out,
          "  %-28s invoked %d, resources labelled %d",
          "instance of " + shard.getKey(),
          invoked.getOrDefault(shard.getKey(), 0),
          shard.getValue());
    }
    line(out, "%-30s %d", "invoked by another shard", tally.ofAnotherShard());
  }

  private static String runs(Executions executions) {
    return String.format(
        Locale.ROOT,
        "%.2f (duplicates %d, never run %d)",
        executions.runsPerResource(),
        executions.duplicates(),
        executions.neverRun());
  }

  private static String throttled(Executions executions) {
    return String.format(
        Locale.ROOT,
        "%.1f%% (%d of %d)",
        executions.throttledShare() * 100,
        executions.throttled(),
        executions.requests());
  }

  /** The operator's span over the plain program's; NaN without plain calls. */
  static double ratio(CallSpan operator, CallSpan plain) {
    return plain.span().isZero()
        ? Double.NaN
        : (double) operator.span().toNanos() / plain.span().toNanos();
  }

  static double perResource(long count, int resources) {
    return (double) count / resources;
  }

  private static void row(
      StringBuilder out, String run, CallSpan calls, RunProfile profile, Workload workload) {
    line(
        out,
        "%-13s %6d %9s %9.1f %9d %5.0f%% %8.0f%% %6d MiB",
        run,
        calls.calls(),
        seconds(calls.span()),
        calls.meanConcurrency(workload.latency()),
        calls.peakConcurrency(),
        profile.cpuShare() * 100,
        profile.starvedShare() * 100,
        profile.peakHeapBytes() / MIB);
  }

  private static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.3f s", duration.toNanos() / 1e9);
  }

  private static double perCallMillis(Duration cpu, int calls) {
    return calls == 0 ? Double.NaN : cpu.toNanos() / 1e6 / calls;
  }

  private static double share(Duration part, Duration whole) {
    return whole.isZero() ? Double.NaN : (double) part.toNanos() / whole.toNanos();
  }

  private static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  private static String millis(Duration duration) {
    return duration == null ? "never" : duration.toMillis() + " ms";
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
