package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.invoke.AwsLambdaInvoker;
import dev.ephemeral.lambda.invoke.InvocationRequest;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.LambdaClientSettings;
import dev.ephemeral.lambda.invoke.LambdaInvoker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * The plain program the operator is measured against: the same calls through the same AWS SDK
 * client, from a fixed pool of as many threads as the in-flight limit, with nothing else to do.
 *
 * <p>Against a function with a concurrency limit it is what a plain program gets from the SDK: a
 * LambdaClient with the SDK's default retry strategy, which retries a 429 TooManyRequestsException
 * with its throttling backoff; a call still throttled after the SDK's attempts is made again at
 * once by its thread, until it runs (each call must run once, as each resource's does).
 */
final class PlainRun {

  /**
   * @param calls the calls that ran
   * @param executions what the function did, by call
   * @param succeeded how many calls returned a result
   * @param profile heap, CPU and thread pool, sampled
   * @param cpu this JVM's CPU time over the run
   */
  record Result(
      CallSpan calls, Executions executions, int succeeded, RunProfile profile, Duration cpu) {}

  private PlainRun() {}

  static Result run(Workload workload, Backend backend)
      throws InterruptedException, ExecutionException {
    backend.clearInvocations();
    var pool = (ThreadPoolExecutor) Executors.newFixedThreadPool(workload.inFlight());
    try (var sampler = RunSampler.start();
        Caller invoker = caller(workload, backend)) {
      long cpuAtStart = RunSampler.processCpuNanos();
      sampler.watch(RunSampler.Queue.queue(pool::getActiveCount, () -> pool.getQueue().size()));
      List<Future<InvocationResult>> results = new ArrayList<>();
      for (int i = 0; i < workload.resources(); i++) {
        int index = i;
        results.add(pool.submit(() -> invoker.invoke(Workload.request(index))));
      }
      int succeeded = 0;
      for (Future<InvocationResult> result : results) {
        if (result.get() instanceof InvocationResult.Succeeded) {
          succeeded++;
        }
      }
      Duration cpu = Duration.ofNanos(RunSampler.processCpuNanos() - cpuAtStart);
      List<RunSampler.Sample> samples = sampler.stop();
      List<Backend.Run> runs = backend.runs();
      CallSpan span =
          CallSpan.of(
              runs.stream().map(Backend.Run::startedAt).toList(),
              workload.latency(),
              workload.concurrency());
      return new Result(
          span,
          backend.executions(workload.resources()),
          succeeded,
          RunProfile.of(
              samples,
              span.firstStart(),
              span.lastStart(),
              Runtime.getRuntime().availableProcessors(),
              workload.inFlight()),
          cpu);
    } finally {
      pool.shutdownNow();
    }
  }

  /** What the plain program calls through, closed after the run. */
  private interface Caller extends LambdaInvoker, AutoCloseable {
    @Override
    void close();
  }

  /**
   * The operator's SDK client, or, against a function with a concurrency limit, one with the SDK's
   * default retries (the operator's has none: it retries by itself).
   */
  private static Caller caller(Workload workload, Backend backend) {
    LambdaClientSettings settings = workload.clientSettings(backend.lambdaEndpoint());
    if (workload.functionConcurrency() > 0) {
      return new SdkRetrying(settings);
    }
    var invoker = new AwsLambdaInvoker(settings, new ObjectMapper());
    return new Caller() {
      @Override
      public InvocationResult invoke(InvocationRequest request) {
        return invoker.invoke(request);
      }

      @Override
      public void close() {
        invoker.close();
      }
    };
  }

  /**
   * A LambdaClient as the SDK builds it by default (its default retry strategy, which backs off on
   * throttling), with the same endpoint, credentials and connection pool as the operator's.
   */
  private static final class SdkRetrying implements Caller {
    private final LambdaClient client;

    SdkRetrying(LambdaClientSettings settings) {
      var builder =
          LambdaClient.builder()
              .region(settings.defaultRegion().orElseThrow())
              .credentialsProvider(settings.credentials())
              .httpClientBuilder(
                  Apache5HttpClient.builder().maxConnections(settings.maxInFlight()));
      settings.endpoint().ifPresent(builder::endpointOverride);
      client = builder.build();
    }

    @Override
    public InvocationResult invoke(InvocationRequest request) {
      while (true) {
        try {
          InvokeResponse response =
              client.invoke(
                  InvokeRequest.builder()
                      .functionName(request.functionName())
                      .payload(SdkBytes.fromByteArray(request.payload()))
                      .build());
          return new InvocationResult.Succeeded(
              response.statusCode(),
              response.executedVersion(),
              response.payload().asByteArray(),
              response.logResult());
        } catch (TooManyRequestsException e) {
          // The SDK's attempts are spent and the function did not run: it still must, once.
        }
      }
    }

    @Override
    public void close() {
      client.close();
    }
  }
}
