package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.KubernetesClientConfig;
import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.AwsLambdaInvoker;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Shard;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The operator's run: N LambdaInvocations in the backend's API, the real operator in this JVM with
 * the real AWS SDK client against the backend's Lambda emulator, until every one is Ready, then an
 * idle wait in which nothing should be called; optionally a restart over the same resources.
 */
final class OperatorRun {

  static final String NAMESPACE = "bench";

  /** The operator's API client; the benchmark's own requests carry another user agent. */
  static final String OPERATOR_AGENT = "lambda-invocation-operator/bench";

  /** Where the instances of shards keep their Leases. */
  private static final String LEASE_NAMESPACE = "lambda-invocation-system";

  /** JOSDK's counter of reconciliations started, one per reconcile of a resource. */
  private static final String RECONCILIATIONS_STARTED = "operator.sdk.reconciliations.started";

  /** JOSDK's counter of reconciliations that ended without an error. */
  private static final String RECONCILIATIONS_SUCCEEDED = "operator.sdk.reconciliations.success";

  /**
   * @param calls the calls that ran until all were Ready
   * @param executions what the function did until all were Ready, by resource
   * @param shards which instance invoked what, when the resources were spread over shards; null
   *     otherwise
   * @param ready how many LambdaInvocations were Ready in the end
   * @param allReadyAt when the last resource became Ready (null if not all did)
   * @param reconciles reconciles started until all were Ready
   * @param api the operator's API requests from its start until all were Ready
   * @param idleCalls requests at the endpoint during the idle wait
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
      Executions executions,
      ShardTally shards,
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
          executions,
          shards,
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
   * @param shards above 0: label the resources round-robin with that many shards and run one
   *     instance per shard, each leading by its own Lease and with its share of the in-flight limit
   */
  static Result run(
      Workload workload,
      Backend backend,
      Duration idle,
      Duration timeout,
      boolean createWhileRunning,
      boolean restart,
      int shards)
      throws InterruptedException {
    backend.clearInvocations();
    String url = backend.startKubernetes();
    try {
      int n = workload.resources();
      String policy = restart ? InvokePolicy.OnChange.name() : InvokePolicy.DEFAULT.name();
      backend.watchReady(n);
      if (!createWhileRunning) {
        backend.create(n, policy, shards);
      }
      long before = RunSampler.retainedBytes();
      ShardTally tally = shards > 0 ? new ShardTally(shards) : null;
      Result result;
      try (var sampler = RunSampler.start();
          var operator = RunningOperators.of(url, workload, backend, shards, tally)) {
        sampler.watch(RunSampler.Queue.queue(operator::inFlight, operator::waiting));
        backend.markCpu();
        long cpuAtStart = RunSampler.processCpuNanos();
        operator.start();
        if (createWhileRunning) {
          backend.create(n, policy, shards);
        }
        Backend.Readiness readiness = backend.awaitReady(timeout);
        Duration cpu = Duration.ofNanos(RunSampler.processCpuNanos() - cpuAtStart);
        Backend.Cpu backendCpu = backend.cpu();
        List<RunSampler.Sample> samples = sampler.stop();
        List<Backend.Run> runs = backend.runs();
        Executions executions = backend.executions(n);
        ApiRequests api = backend.api(OPERATOR_AGENT);
        long reconciles = operator.count(RECONCILIATIONS_STARTED);
        long held = RunSampler.retainedBytes() - before;

        Thread.sleep(idle.toMillis());
        int idleCalls = backend.invocationCount() - executions.requests();
        ApiRequests idleApi = backend.api(OPERATOR_AGENT).since(api);

        CallSpan span =
            CallSpan.of(
                runs.stream().map(Backend.Run::startedAt).toList(),
                workload.latency(),
                workload.concurrency());
        result =
            new Result(
                span,
                executions,
                tally,
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
    try (var operator = RunningOperators.of(url, workload, backend, 0, null)) {
      long start = System.nanoTime();
      long deadline = start + timeout.toNanos();
      operator.start();
      Duration settled = null;
      while (System.nanoTime() < deadline) {
        if (operator.count(RECONCILIATIONS_SUCCEEDED) >= workload.resources()
            && operator.inFlight() == 0
            && operator.waiting() == 0) {
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

  /**
   * The operator under test: one instance, or one per shard, each with its own API client, AWS SDK
   * client and metrics, closed together.
   */
  private static final class RunningOperators implements AutoCloseable {
    private final List<RunningOperator> instances;

    private RunningOperators(List<RunningOperator> instances) {
      this.instances = instances;
    }

    static RunningOperators of(
        String url, Workload workload, Backend backend, int shards, ShardTally tally) {
      if (shards == 0) {
        return new RunningOperators(
            List.of(new RunningOperator(url, workload, backend, Optional.empty(), tally)));
      }
      // The instances share the in-flight limit, so that together they make as many calls at once
      // as the plain program.
      Workload share =
          new Workload(
              workload.resources(),
              workload.latency(),
              workload.inFlight() / shards,
              workload.functionConcurrency());
      return new RunningOperators(
          IntStream.range(0, shards)
              .mapToObj(
                  k ->
                      new RunningOperator(
                          url,
                          share,
                          backend,
                          Optional.of(Shard.named(ShardTally.shardOf(k, shards))),
                          tally))
              .toList());
    }

    void start() {
      instances.forEach(i -> i.operator.start());
    }

    int inFlight() {
      return instances.stream().mapToInt(i -> i.operator.inFlight()).sum();
    }

    int waiting() {
      return instances.stream().mapToInt(i -> i.operator.waiting()).sum();
    }

    /** A JOSDK counter, summed over the instances. */
    long count(String counter) {
      return instances.stream().mapToLong(i -> OperatorRun.count(i.registry, counter)).sum();
    }

    @Override
    public void close() {
      instances.forEach(RunningOperator::close);
    }
  }

  /**
   * One operator instance with its own API client and AWS SDK client, closed together. An instance
   * of a shard elects its leader through its shard's Lease, as it would in a cluster.
   */
  private static final class RunningOperator implements AutoCloseable {
    private final KubernetesClient client;
    private final AwsLambdaInvoker invoker;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final LambdaInvocationOperator operator;

    RunningOperator(
        String url, Workload workload, Backend backend, Optional<Shard> shard, ShardTally tally) {
      // The client the installed operator builds (OperatorMain), pointed at the test API server.
      client =
          KubernetesClientConfig.newClient(
              KubernetesClientConfig.forApiServer(
                  new ConfigBuilder(Config.empty())
                      .withMasterUrl(url)
                      .withUserAgent(OPERATOR_AGENT)
                      .build()));
      invoker =
          new AwsLambdaInvoker(
              workload.clientSettings(backend.lambdaEndpoint()), new ObjectMapper());
      OperatorConfig config =
          shard.isEmpty()
              ? OperatorConfig.single(
                  Set.of(),
                  Optional.of(backend.lambdaEndpoint()),
                  workload.inFlight(),
                  RetryPolicy.DEFAULT)
              : new OperatorConfig(
                      Set.of(),
                      Optional.of(backend.lambdaEndpoint()),
                      workload.inFlight(),
                      0,
                      RetryPolicy.DEFAULT,
                      true,
                      Optional.of(LEASE_NAMESPACE))
                  .withShard(shard.get());
      operator =
          new LambdaInvocationOperator(
              client,
              config,
              invoker,
              Clock.systemUTC(),
              shard.isEmpty() ? InvocationObserver.NONE : tallying(shard.get(), tally),
              Optional.of(MicrometerMetrics.withoutPerResourceMetrics(registry)),
              shard.map(s -> leaderElection(config, s)));
    }

    private static InvocationObserver tallying(Shard shard, ShardTally tally) {
      String name = shard.name().orElseThrow();
      return (resource, trigger, outcome, latency) -> {
        if (outcome == ReadyReason.Invoked) {
          Map<String, String> labels = resource.getMetadata().getLabels();
          tally.invoked(name, Optional.ofNullable(labels == null ? null : labels.get(Shard.LABEL)));
        }
      };
    }

    /** The shard's own Lease; the shard's name is the instance's identity. */
    private static LeaderElectionConfiguration leaderElection(OperatorConfig config, Shard shard) {
      return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(config.leaseName())
          .withLeaseNamespace(LEASE_NAMESPACE)
          .withIdentity(shard.name().orElseThrow())
          .withExitOnStopLeading(false)
          .build();
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
