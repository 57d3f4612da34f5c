package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.invoke.AwsLambdaInvoker;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's run: N LambdaInvocations in the backend's API, the real operator in this JVM with
 * the real AWS SDK client against the backend's Lambda emulator, until every one is Ready, then an
 * idle wait in which nothing should be called; optionally a restart over the same resources.
 */
final class OperatorRun {

  static final String NAMESPACE = "bench";

  /** The operator's API client; the benchmark's own requests carry another user agent. */
  static final String OPERATOR_AGENT = "lambda-invocation-operator/bench";

  /** JOSDK's counter of reconciliations started, one per reconcile of a resource. */
  private static final String RECONCILIATIONS_STARTED = "operator.sdk.reconciliations.started";

  /** JOSDK's counter of reconciliations that ended without an error. */
  private static final String RECONCILIATIONS_SUCCEEDED = "operator.sdk.reconciliations.success";

  /**
   * @param calls the calls at the endpoint until all were Ready
   * @param ready how many LambdaInvocations were Ready in the end
   * @param allReadyAt when the last resource became Ready (null if not all did)
   * @param reconciles reconciles started until all were Ready
   * @param api the operator's API requests from its start until all were Ready
   * @param idleCalls calls at the endpoint during the idle wait
   * @param idleApi the operator's API requests during the idle wait
   * @param profile heap, CPU and queue of this JVM (the operator's), sampled
   * @param cpu this JVM's CPU time from the operator's start until all were Ready
   * @param heldHeapBytes heap used after a full collection once all were Ready, less the same
   *     before the operator's client was built: what the operator holds
   * @param backendCpu the test doubles' JVM over the same time
   * @param restart an operator restarted over the Ready resources, if measured
   */
  record Result(
      CallSpan calls,
      int ready,
      Instant allReadyAt,
      long reconciles,
      ApiRequests api,
      int idleCalls,
      ApiRequests idleApi,
      RunProfile profile,
      Duration cpu,
      long heldHeapBytes,
      Backend.Cpu backendCpu,
      Restart restart) {

    Result withRestart(Restart measured) {
      return new Result(
          calls,
          ready,
          allReadyAt,
          reconciles,
          api,
          idleCalls,
          idleApi,
          profile,
          cpu,
          heldHeapBytes,
          backendCpu,
          measured);
    }

    /** From the first call received to the last resource Ready; null if not all were. */
    Duration firstCallToAllReady() {
      return allReadyAt == null || calls.firstStart() == null
          ? null
          : Duration.between(calls.firstStart(), allReadyAt);
    }

    /** From the last call's end at the endpoint to the last resource Ready. */
    Duration lastCallToAllReady(Duration latency) {
      return allReadyAt == null || calls.lastStart() == null
          ? null
          : Duration.between(calls.lastStart().plus(latency), allReadyAt);
    }
  }

  /**
   * A second operator started over the same, all Ready, resources after the first stopped.
   *
   * @param settled from its start until it had reconciled every resource and had no call queued or
   *     running; null if not within the timeout
   * @param calls calls it made until then
   * @param api its API requests until then
   */
  record Restart(Duration settled, int calls, ApiRequests api) {}

  private OperatorRun() {}

  /**
   * @param createWhileRunning create the LambdaInvocations after the operator started, one by one,
   *     instead of all before it starts
   * @param restart then stop the operator and measure a new one over the same resources (they are
   *     created with invokePolicy OnChange, which a restart does not call again)
   */
  static Result run(
      Workload workload,
      Backend backend,
      Duration idle,
      Duration timeout,
      boolean createWhileRunning,
      boolean restart)
      throws InterruptedException {
    backend.clearInvocations();
    String url = backend.startKubernetes();
    try {
      int n = workload.resources();
      String policy = restart ? InvokePolicy.OnChange.name() : InvokePolicy.DEFAULT.name();
      backend.watchReady(n);
      if (!createWhileRunning) {
        backend.create(n, policy);
      }
      long before = RunSampler.retainedBytes();
      var registry = new SimpleMeterRegistry();
      Result result;
      try (var sampler = RunSampler.start();
          var operator = new RunningOperator(url, workload, backend, registry)) {
        sampler.watch(
            RunSampler.Queue.queue(operator.operator::inFlight, operator.operator::waiting));
        backend.markCpu();
        long cpuAtStart = RunSampler.processCpuNanos();
        operator.operator.start();
        if (createWhileRunning) {
          backend.create(n, policy);
        }
        Backend.Readiness readiness = backend.awaitReady(timeout);
        Duration cpu = Duration.ofNanos(RunSampler.processCpuNanos() - cpuAtStart);
        Backend.Cpu backendCpu = backend.cpu();
        List<RunSampler.Sample> samples = sampler.stop();
        List<Instant> calls = backend.invocations();
        ApiRequests api = backend.api(OPERATOR_AGENT);
        long reconciles = count(registry, RECONCILIATIONS_STARTED);
        long held = RunSampler.retainedBytes() - before;

        Thread.sleep(idle.toMillis());
        int idleCalls = backend.invocationCount() - calls.size();
        ApiRequests idleApi = backend.api(OPERATOR_AGENT).since(api);

        CallSpan span = CallSpan.of(calls, workload.latency(), workload.inFlight());
        result =
            new Result(
                span,
                readiness.ready(),
                readiness.allReadyAt(),
                reconciles,
                api,
                idleCalls,
                idleApi,
                RunProfile.of(
                    samples,
                    span.firstStart(),
                    span.lastStart(),
                    Runtime.getRuntime().availableProcessors(),
                    workload.inFlight()),
                cpu,
                held,
                backendCpu,
                null);
      }
      if (!restart) {
        return result;
      }
      return result.withRestart(restart(url, workload, backend, timeout));
    } finally {
      backend.stopKubernetes();
    }
  }

  private static Restart restart(String url, Workload workload, Backend backend, Duration timeout)
      throws InterruptedException {
    int callsBefore = backend.invocationCount();
    ApiRequests apiBefore = backend.api(OPERATOR_AGENT);
    var registry = new SimpleMeterRegistry();
    try (var operator = new RunningOperator(url, workload, backend, registry)) {
      long start = System.nanoTime();
      long deadline = start + timeout.toNanos();
      operator.operator.start();
      Duration settled = null;
      while (System.nanoTime() < deadline) {
        if (count(registry, RECONCILIATIONS_SUCCEEDED) >= workload.resources()
            && operator.operator.inFlight() == 0
            && operator.operator.waiting() == 0) {
          settled = Duration.ofNanos(System.nanoTime() - start);
          break;
        }
        // A benchmark, not a test: polling JOSDK's counter every few milliseconds is the clock.
        Thread.sleep(5);
      }
      return new Restart(
          settled,
          backend.invocationCount() - callsBefore,
          backend.api(OPERATOR_AGENT).since(apiBefore));
    }
  }

  /** The operator under test with its own API client and AWS SDK client, closed together. */
  private static final class RunningOperator implements AutoCloseable {
    private final KubernetesClient client;
    private final AwsLambdaInvoker invoker;
    final LambdaInvocationOperator operator;

    RunningOperator(String url, Workload workload, Backend backend, SimpleMeterRegistry registry) {
      client = InProcessKubernetes.clientOf(url, OPERATOR_AGENT);
      invoker =
          new AwsLambdaInvoker(
              workload.clientSettings(backend.lambdaEndpoint()), new ObjectMapper());
      operator =
          new LambdaInvocationOperator(
              client,
              OperatorConfig.single(
                  Set.of(),
                  Optional.of(backend.lambdaEndpoint()),
                  workload.inFlight(),
                  RetryPolicy.DEFAULT),
              invoker,
              Clock.systemUTC(),
              InvocationObserver.NONE,
              Optional.of(MicrometerMetrics.withoutPerResourceMetrics(registry)),
              Optional.empty());
    }

    @Override
    public void close() {
      operator.close();
      invoker.close();
      client.close();
    }
  }

  private static long count(SimpleMeterRegistry registry, String counter) {
    return Math.round(registry.find(counter).counters().stream().mapToDouble(Counter::count).sum());
  }
}
