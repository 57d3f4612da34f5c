package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's end of {@link BenchBackend}: starts it as a child JVM with this JVM's classpath
 * and sends it commands. Its CPU and heap are then not the benchmark JVM's.
 */
final class Backend implements AutoCloseable {

  /**
   * The child's CPU since {@link #markCpu()}, its busiest thread's, and the time its API server
   * spent answering requests (one at a time).
   */
  record Cpu(
      Duration wall,
      Duration process,
      String busiestThread,
      Duration busiestThreadCpu,
      Duration apiBusy) {}

  private final ObjectMapper json = new ObjectMapper();
  private final Process process;
  private final PrintWriter commands;
  private final BufferedReader replies;
  private final URI lambdaEndpoint;

  private Backend(Process process) {
    this.process = process;
    this.commands = new PrintWriter(process.outputWriter(StandardCharsets.UTF_8), true);
    this.replies =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.lambdaEndpoint = URI.create(read().get("lambda").asText());
  }

  /** A call that ran: the resource number in its payload, and when it started. */
  record Run(int index, Instant startedAt) {}

  /** Starts the child JVM with the workload's function. */
  static Backend start(Workload workload) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      Process process =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  BenchBackend.class.getName(),
                  String.valueOf(workload.latency().toMillis()),
                  String.valueOf(workload.functionConcurrency()))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      return new Backend(process);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the benchmark's backend JVM", e);
    }
  }

  URI lambdaEndpoint() {
    return lambdaEndpoint;
  }

  /** A fresh, empty Kubernetes API (the previous one is stopped); its URL. */
  String startKubernetes() {
    return send("start-kubernetes").get("url").asText();
  }

  void stopKubernetes() {
    send("stop-kubernetes");
  }

  /**
   * Creates resources bench-0 .. bench-(count-1), as a user would; with {@code shards} above 0,
   * labelled with shards s0..s(shards-1) round-robin.
   */
  void create(int count, String invokePolicy, int shards) {
    send("create " + count + " " + invokePolicy + " " + shards);
  }

  /** From now on, watches for {@code expected} LambdaInvocations to be Ready. */
  void watchReady(int expected) {
    send("watch-ready " + expected);
  }

  /** When all became Ready (null if not within {@code timeout}), and how many are. */
  record Readiness(Instant allReadyAt, int ready) {}

  Readiness awaitReady(Duration timeout) {
    JsonNode answer = send("await-ready " + Math.max(1, timeout.toSeconds()));
    JsonNode at = answer.get("allReadyAt");
    return new Readiness(
        at == null || at.isNull() ? null : BenchBackend.instant(at.asLong()),
        answer.get("ready").asInt());
  }

  ApiRequests api(String userAgent) {
    return json.convertValue(send("api " + userAgent), ApiRequests.class);
  }

  /** When each call so far was received at the Lambda endpoint. */
  List<Instant> invocations() {
    List<Instant> receivedAt = new ArrayList<>();
    send("invocations")
        .get("receivedAt")
        .forEach(n -> receivedAt.add(BenchBackend.instant(n.asLong())));
    return receivedAt;
  }

  /** The calls that ran so far (not those answered 429), in the order they started. */
  List<Run> runs() {
    JsonNode answer = send("runs");
    List<Run> runs = new ArrayList<>();
    for (int i = 0; i < answer.get("index").size(); i++) {
      runs.add(
          new Run(
              answer.get("index").get(i).asInt(),
              BenchBackend.instant(answer.get("startedAt").get(i).asLong())));
    }
    return runs;
  }

  /** What the function did since the last {@link #clearInvocations()}, for {@code resources}. */
  Executions executions(int resources) {
    return Executions.of(runs().stream().map(Run::index).toList(), invocationCount(), resources);
  }

  int invocationCount() {
    return invocations().size();
  }

  void clearInvocations() {
    send("clear-invocations");
  }

  void markCpu() {
    send("mark-cpu");
  }

  Cpu cpu() {
    JsonNode answer = send("cpu");
    return new Cpu(
        Duration.ofNanos(answer.get("wallNanos").asLong()),
        Duration.ofNanos(answer.get("processCpuNanos").asLong()),
        answer.get("busiestThread").asText(),
        Duration.ofNanos(answer.get("busiestThreadCpuNanos").asLong()),
        Duration.ofNanos(answer.get("apiBusyNanos").asLong()));
  }

  private synchronized JsonNode send(String command) {
    commands.println(command);
    JsonNode answer = read();
    if (answer.has("error")) {
      throw new IllegalStateException("benchmark backend: " + answer.get("error").asText());
    }
    return answer;
  }

  private JsonNode read() {
    try {
      String line = replies.readLine();
      if (line == null) {
        throw new IllegalStateException("the benchmark's backend JVM exited");
      }
      return json.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    commands.println("exit");
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroy();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
    }
  }
}
