package dev.ephemeral.lambda.bench;

import dev.ephemeral.lambda.CommonPool;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * Measures how close the operator comes to a plain program making the same Lambda calls: the same
 * calls, latency, in-flight limit, SDK client and endpoint. Run by {@code bench/run}; never part of
 * the test suite.
 */
@Command(
    name = "bench/run",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Creates N LambdaInvocations against a Kubernetes API in a child JVM and runs the real"
          + " operator in this JVM until all are Ready, calling a Lambda endpoint (in the child"
          + " JVM) whose function answers after the latency; then makes the same N calls from a"
          + " plain thread pool of the same size.",
      "Prints both call spans (first call received to last completed), their ratio, and what the"
          + " operator spent per resource and per call: this JVM's CPU and heap are the operator's"
          + " (or the plain program's), the test doubles' are the child's. Exit status 1 when not"
          + " all resources became Ready."
    })
public final class OperatorBenchmark implements Callable<Integer> {

  @Option(
      names = {"-n", "--resources"},
      defaultValue = "100",
      description = "LambdaInvocations to create, and calls to make (default: ${DEFAULT-VALUE}).")
  int resources;

  @Option(
      names = "--latency-ms",
      defaultValue = "200",
      description = "How long the function takes, in milliseconds (default: ${DEFAULT-VALUE}).")
  long latencyMillis;

  @Option(
      names = "--in-flight",
      defaultValue = "10",
      description =
          "MAX_INVOCATIONS_IN_FLIGHT of the operator, and the plain program's thread count"
              + " (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(
      names = "--idle-seconds",
      defaultValue = "5",
      description =
          "How long to watch for calls once all are Ready; there should be none (default:"
              + " ${DEFAULT-VALUE}).")
  int idleSeconds;

  @Option(
      names = "--timeout-seconds",
      defaultValue = "600",
      description = "How long to wait for all to be Ready (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(
      names = "--create-while-running",
      description =
          "Create the LambdaInvocations one by one after the operator started, instead of all"
              + " before it starts.")
  boolean createWhileRunning;

  @Option(
      names = "--restart",
      description =
          "Create the LambdaInvocations with invokePolicy OnChange and, once all are Ready, stop"
              + " the operator and start a new one over them: report its calls (there should be"
              + " none) and how long it takes to settle.")
  boolean restart;

  @Option(
      names = "--shards",
      defaultValue = "0",
      description =
          "Label the LambdaInvocations round-robin with this many shards (s0, s1, ...) and run one"
              + " operator instance per shard, each with its SHARD, leader election on and its own"
              + " Lease; they share the in-flight limit equally (default: ${DEFAULT-VALUE}, one"
              + " instance without shards and without leader election).")
  int shards;

  @Option(
      names = "--function-concurrency",
      defaultValue = "0",
      description =
          "Let the function run at most this many executions at once and answer 429"
              + " TooManyRequestsException past it, as Lambda does for reserved concurrency; the"
              + " plain program then uses an SDK client with the SDK's default retries (default:"
              + " ${DEFAULT-VALUE}, no limit).")
  int functionConcurrency;

  @Option(
      names = "--no-warmup",
      description =
          "Measure cold: skip the unmeasured warm-up runs (plain and through the operator) that"
              + " load and compile the code paths first.")
  boolean noWarmup;

  @Option(
      names = "--warmup-resources",
      description =
          "Resources in each warm-up run (default: as many as --resources, at most "
              + DEFAULT_WARMUP
              + "): enough for the JIT to compile the operator's paths, as in an operator that has"
              + " been running for a while.")
  Integer warmupResources;

  @Option(
      names = "--log-level",
      defaultValue = "WARN",
      description = "Level of the operator's own logs on stderr (default: ${DEFAULT-VALUE}).")
  String logLevel;

  /**
   * Resources in a warm-up run at most, by default. With 100 (2 x 50 in flight, as before) the JIT
   * was still compiling the operator's paths during the measured run: 1,000 resources at 50 in
   * flight cost 15 to 17 ms of CPU per call, against 8 to 12 ms after a warm-up of 1,000 or more.
   */
  static final int DEFAULT_WARMUP = 2_000;

  @CommandLine.Spec CommandSpec spec;

  public static void main(String[] args) {
    CommonPool.keepTwoWorkers();
    System.exit(new CommandLine(new OperatorBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (resources < 1 || inFlight < 1 || latencyMillis < 0 || idleSeconds < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--resources and --in-flight must be positive, --latency-ms and --idle-seconds not"
              + " negative");
    }
    if (shards < 0 || shards > inFlight || functionConcurrency < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--shards must be between 0 and --in-flight (the instances share it), and"
              + " --function-concurrency not negative");
    }
    if (warmupResources != null && warmupResources < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--warmup-resources must be positive");
    }
    if (shards > 0 && restart) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--shards and --restart are not measured together");
    }
    setLogLevel();
    PrintWriter out = spec.commandLine().getOut();
    var workload =
        new Workload(resources, Duration.ofMillis(latencyMillis), inFlight, functionConcurrency);
    Duration idle = Duration.ofSeconds(idleSeconds);
    // The API server, the Lambda endpoint and the user run in a JVM of their own: this JVM's CPU
    // and heap are then the operator's (or the plain program's) alone.
    try (var backend = Backend.start(workload)) {
      Duration timeout = Duration.ofSeconds(timeoutSeconds);
      if (!noWarmup) {
        // Class loading and the JIT would otherwise weigh on whichever run comes first: an
        // operator that has just started is not what is measured, nor is a cold SDK client.
        var warmup =
            workload.withResources(
                warmupResources != null ? warmupResources : Math.min(resources, DEFAULT_WARMUP));
        PlainRun.run(warmup, backend);
        OperatorRun.run(warmup, backend, Duration.ZERO, timeout, createWhileRunning, false, shards);
      }
      double loadBefore = loadAverage();
      var operator =
          OperatorRun.run(workload, backend, idle, timeout, createWhileRunning, restart, shards);
      var plain = PlainRun.run(workload, backend);
      var load = new BenchReport.Load(loadBefore, loadAverage());
      out.print(BenchReport.render(workload, operator, plain, idle, load));
      out.flush();
      return operator.ready() == resources ? 0 : 1;
    }
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private void setLogLevel() {
    Level level = Level.toLevel(logLevel, Level.WARN);
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("dev.ephemeral.lambda").setLevel(level);
      context.getLogger("io.javaoperatorsdk").setLevel(Level.WARN);
    }
  }
}
