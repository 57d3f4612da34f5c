package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.emulator.RecordedInvocation;
import dev.ephemeral.lambda.invoke.AwsLambdaInvoker;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
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
 * The operator's run: N LambdaInvocations in the in-process API, the real operator with the real
 * AWS SDK client against the Lambda emulator, until every one is Ready, then an idle wait in which
 * nothing should be called.
 */
final class OperatorRun {

  static final String NAMESPACE = "bench";

  /** The operator's API client; the benchmark's own requests carry another user agent. */
  static final String OPERATOR_AGENT = "lambda-invocation-operator/bench";

  private static final String USER_AGENT = "bench-user";

  /** JOSDK's counter of reconciliations started, one per reconcile of a resource. */
  private static final String RECONCILIATIONS_STARTED = "operator.sdk.reconciliations.started";

  /**
   * @param calls the calls at the endpoint until all were Ready
   * @param ready how many LambdaInvocations were Ready in the end
   * @param firstCallToAllReady from the first call received to the last resource Ready
   * @param reconciles reconciles started until all were Ready
   * @param api the operator's API requests from its start until all were Ready
   * @param idleCalls calls at the endpoint during the idle wait
   * @param idleApi the operator's API requests during the idle wait
   * @param profile heap, CPU and queue, sampled (the whole process: API server, endpoint and
   *     operator)
   * @param retainedHeapBytes heap used after a full collection once all were Ready
   */
  record Result(
      CallSpan calls,
      int ready,
      Duration firstCallToAllReady,
      long reconciles,
      ApiRequests api,
      int idleCalls,
      ApiRequests idleApi,
      RunProfile profile,
      long retainedHeapBytes) {}

  private OperatorRun() {}

  /**
   * @param createWhileRunning create the LambdaInvocations after the operator started, one by one,
   *     instead of all before it starts
   */
  static Result run(
      Workload workload,
      LambdaEmulator lambda,
      Duration idle,
      Duration timeout,
      boolean createWhileRunning)
      throws InterruptedException {
    lambda.clearInvocations();
    var registry = new SimpleMeterRegistry();
    try (var sampler = RunSampler.start();
        var kubernetes = InProcessKubernetes.start();
        KubernetesClient user = kubernetes.newClient(USER_AGENT);
        KubernetesClient operatorClient = kubernetes.newClient(OPERATOR_AGENT);
        var invoker =
            new AwsLambdaInvoker(workload.clientSettings(lambda.endpoint()), new ObjectMapper());
        var readyWatch = new ReadyWatch(user, NAMESPACE, workload.resources())) {
      if (!createWhileRunning) {
        create(user, workload.resources());
      }
      var operator =
          new LambdaInvocationOperator(
              operatorClient,
              OperatorConfig.single(
                  Set.of(),
                  Optional.of(lambda.endpoint()),
                  workload.inFlight(),
                  RetryPolicy.DEFAULT),
              invoker,
              Clock.systemUTC(),
              InvocationObserver.NONE,
              Optional.of(MicrometerMetrics.withoutPerResourceMetrics(registry)),
              Optional.empty());
      try (operator) {
        sampler.watch(RunSampler.Queue.queue(operator::inFlight, operator::waiting));
        operator.start();
        if (createWhileRunning) {
          create(user, workload.resources());
        }
        Instant allReady = readyWatch.await(timeout);
        List<RunSampler.Sample> samples = sampler.stop();
        List<RecordedInvocation> calls = lambda.invocations();
        ApiRequests api = ApiRequests.of(kubernetes.requests(), OPERATOR_AGENT);
        long reconciles = reconciles(registry);
        long retained = RunSampler.retainedBytes();

        Thread.sleep(idle.toMillis());
        int idleCalls = lambda.invocations().size() - calls.size();
        ApiRequests idleApi = ApiRequests.of(kubernetes.requests(), OPERATOR_AGENT).since(api);

        CallSpan span =
            CallSpan.of(
                calls.stream().map(RecordedInvocation::receivedAt).toList(),
                workload.latency(),
                workload.inFlight());
        Duration toReady =
            allReady == null || calls.isEmpty()
                ? null
                : Duration.between(span.firstStart(), allReady);
        return new Result(
            span,
            readyWatch.readyCount(),
            toReady,
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
            retained);
      }
    }
  }

  private static void create(KubernetesClient client, int count) {
    for (int i = 0; i < count; i++) {
      var resource = new LambdaInvocation();
      resource.setMetadata(
          new ObjectMetaBuilder().withName("bench-" + i).withNamespace(NAMESPACE).build());
      var spec = new LambdaInvocationSpec();
      spec.setFunctionName(Workload.FUNCTION);
      spec.setPayload(Workload.payload(i));
      resource.setSpec(spec);
      client.resource(resource).create();
    }
  }

  private static long reconciles(SimpleMeterRegistry registry) {
    return Math.round(
        registry.find(RECONCILIATIONS_STARTED).counters().stream()
            .mapToDouble(Counter::count)
            .sum());
  }
}
