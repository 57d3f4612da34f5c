package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.emulator.FunctionCall;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.emulator.RecordedInvocation;
import dev.ephemeral.lambda.model.Shard;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The benchmark's test doubles in a JVM of their own, so that what the benchmark's JVM spends is
 * the operator's (or the plain program's) alone: the in-process Kubernetes API, the Lambda
 * emulator, and the user who creates LambdaInvocations and watches them become Ready. Started by
 * {@link Backend} as a child process; it reads one command a line on stdin and answers each with
 * one line of JSON on stdout (its logs go to stderr).
 */
public final class BenchBackend {

  private static final String USER_AGENT = "bench-user";

  private final ObjectMapper json = new ObjectMapper();
  private final PrintStream replies;
  private final LambdaEmulator lambda;
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private InProcessKubernetes kubernetes;
  private KubernetesClient user;
  private ReadyWatch readyWatch;
  private Map<Long, Long> threadCpuMark = Map.of();
  private long processCpuMark;
  private long wallMark;
  private long apiBusyMark;

  /** A call that ran: its payload's resource number, and when it started. */
  private record Run(int index, Instant startedAt) {}

  private final Queue<Run> runs = new ConcurrentLinkedQueue<>();

  private BenchBackend(PrintStream replies, Duration latency, int functionConcurrency) {
    this.replies = replies;
    this.lambda = LambdaEmulator.start("127.0.0.1", 0);
    new Workload(0, latency, 1, functionConcurrency).register(lambda, this::ran);
  }

  /**
   * Arguments: the function's latency in milliseconds, and the most executions it runs at once (0
   * for no limit).
   */
  public static void main(String[] args) throws Exception {
    PrintStream replies = System.out;
    System.setOut(System.err);
    var backend =
        new BenchBackend(
            replies, Duration.ofMillis(Long.parseLong(args[0])), Integer.parseInt(args[1]));
    backend.reply(Map.of("lambda", backend.lambda.endpoint().toString()));
    var commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = commands.readLine(); line != null; line = commands.readLine()) {
      String[] words = line.split(" ");
      if (words[0].equals("exit")) {
        break;
      }
      try {
        backend.reply(backend.answer(words));
      } catch (Exception | AssertionError e) {
        e.printStackTrace();
        backend.reply(Map.of("error", words[0] + ": " + e));
      }
    }
    backend.stopKubernetes();
    backend.lambda.close();
  }

  private Object answer(String[] words) throws Exception {
    return switch (words[0]) {
      case "start-kubernetes" -> startKubernetes();
      case "stop-kubernetes" -> {
        stopKubernetes();
        yield Map.of();
      }
      case "create" -> create(Integer.parseInt(words[1]), words[2], Integer.parseInt(words[3]));
      case "watch-ready" -> {
        readyWatch = new ReadyWatch(user, OperatorRun.NAMESPACE, Integer.parseInt(words[1]));
        yield Map.of();
      }
      case "await-ready" -> awaitReady(Duration.ofSeconds(Long.parseLong(words[1])));
      case "api" -> ApiRequests.of(kubernetes.requests(), words[1]);
      case "invocations" ->
          Map.of(
              "receivedAt",
              lambda.invocations().stream()
                  .map(RecordedInvocation::receivedAt)
                  .map(BenchBackend::epochNanos)
                  .toList());
      case "runs" ->
          Map.of(
              "index",
              runs.stream().map(Run::index).toList(),
              "startedAt",
              runs.stream().map(Run::startedAt).map(BenchBackend::epochNanos).toList());
      case "clear-invocations" -> {
        lambda.clearInvocations();
        runs.clear();
        yield Map.of();
      }
      case "mark-cpu" -> {
        markCpu();
        yield Map.of();
      }
      case "cpu" -> cpuSinceMark();
      default -> throw new IllegalArgumentException("unknown command " + words[0]);
    };
  }

  private Map<String, String> startKubernetes() {
    stopKubernetes();
    kubernetes = InProcessKubernetes.start();
    user = kubernetes.newClient(USER_AGENT);
    return Map.of("url", kubernetes.url());
  }

  private void stopKubernetes() {
    if (readyWatch != null) {
      readyWatch.close();
      readyWatch = null;
    }
    if (kubernetes != null) {
      user.close();
      kubernetes.close();
      kubernetes = null;
    }
  }

  private void ran(FunctionCall call) {
    try {
      runs.add(new Run(Workload.index(json.readTree(call.payload())), Instant.now()));
    } catch (IOException e) {
      throw new UncheckedIOException("a benchmark call's payload is not JSON", e);
    }
  }

  /** With {@code shards} above 0, labels the resources with shards s0..s(shards-1), round-robin. */
  private Map<String, Integer> create(int count, String invokePolicy, int shards) {
    for (int i = 0; i < count; i++) {
      var resource = new LambdaInvocation();
      resource.setMetadata(
          new ObjectMetaBuilder()
              .withName("bench-" + i)
              .withNamespace(OperatorRun.NAMESPACE)
              .withLabels(
                  shards > 0 ? Map.of(Shard.LABEL, ShardTally.shardOf(i, shards)) : Map.of())
              .build());
      var spec = new LambdaInvocationSpec();
      spec.setFunctionName(Workload.FUNCTION);
      spec.setPayload(Workload.payload(i));
      spec.setInvokePolicy(invokePolicy);
      resource.setSpec(spec);
      user.resource(resource).create();
    }
    return Map.of("created", count);
  }

  private Map<String, Object> awaitReady(Duration timeout) throws InterruptedException {
    Instant allReady = readyWatch.await(timeout);
    Map<String, Object> answer = new HashMap<>();
    answer.put("allReadyAt", allReady == null ? null : epochNanos(allReady));
    answer.put("ready", readyWatch.readyCount());
    return answer;
  }

  private void markCpu() {
    Map<Long, Long> mark = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      mark.put(id, threads.getThreadCpuTime(id));
    }
    threadCpuMark = mark;
    processCpuMark = os.getProcessCpuTime();
    wallMark = System.nanoTime();
    apiBusyMark = kubernetes == null ? 0 : kubernetes.busy().toNanos();
  }

  /**
   * This process's CPU since the mark, and its busiest thread's: one thread near the whole wall
   * time means the test doubles were a bottleneck (the API server answers on one event loop).
   */
  private Map<String, Object> cpuSinceMark() {
    String busiest = "";
    long busiestNanos = 0;
    for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long now = threads.getThreadCpuTime(info.getThreadId());
      long used = now - threadCpuMark.getOrDefault(info.getThreadId(), 0L);
      if (now >= 0 && used > busiestNanos) {
        busiestNanos = used;
        busiest = info.getThreadName();
      }
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("wallNanos", System.nanoTime() - wallMark);
    answer.put("processCpuNanos", os.getProcessCpuTime() - processCpuMark);
    answer.put("busiestThread", busiest);
    answer.put("busiestThreadCpuNanos", busiestNanos);
    answer.put("apiBusyNanos", kubernetes == null ? 0 : kubernetes.busy().toNanos() - apiBusyMark);
    return answer;
  }

  /** Instants cross the process boundary as nanoseconds since the epoch (one clock, one host). */
  static long epochNanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  static Instant instant(long epochNanos) {
    return Instant.ofEpochSecond(0, epochNanos);
  }

  private void reply(Object answer) throws Exception {
    replies.println(json.writeValueAsString(answer));
    replies.flush();
  }
}
