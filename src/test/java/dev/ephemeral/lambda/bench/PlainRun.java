package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.invoke.AwsLambdaInvoker;
import dev.ephemeral.lambda.invoke.InvocationResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * The plain program the operator is measured against: the same calls through the same AWS SDK
 * client, from a fixed pool of as many threads as the in-flight limit, with nothing else to do.
 */
final class PlainRun {

  /**
   * @param calls the calls at the endpoint
   * @param succeeded how many calls returned a result
   * @param profile heap, CPU and thread pool, sampled
   * @param cpu this JVM's CPU time over the run
   */
  record Result(CallSpan calls, int succeeded, RunProfile profile, Duration cpu) {}

  private PlainRun() {}

  static Result run(Workload workload, Backend backend)
      throws InterruptedException, ExecutionException {
    backend.clearInvocations();
    var pool = (ThreadPoolExecutor) Executors.newFixedThreadPool(workload.inFlight());
    try (var sampler = RunSampler.start();
        var invoker =
            new AwsLambdaInvoker(
                workload.clientSettings(backend.lambdaEndpoint()), new ObjectMapper())) {
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
      CallSpan span = CallSpan.of(backend.invocations(), workload.latency(), workload.inFlight());
      return new Result(
          span,
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
}
