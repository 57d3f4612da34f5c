package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.NAMESPACE;
import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static dev.ephemeral.lambda.e2e.OperatorHarness.secretSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.HttpEndpoints;
import dev.ephemeral.lambda.KubernetesClientConfig;
import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Health, metrics and Events, observed the way a cluster's tooling observes them. */
class OperationsTest {

  private static final String SENTINEL = "M3TR1C-sentinel-result";
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private OperatorHarness harness;

  @BeforeEach
  void start() {
    harness = OperatorHarness.start();
    harness
        .lambda
        .function(
            "ok",
            call ->
                FunctionOutcome.result(
                    ("{\"v\":\"" + SENTINEL + "\"}").getBytes(StandardCharsets.UTF_8)))
        .function(
            "broken",
            call ->
                FunctionOutcome.functionError(
                    "Unhandled", "RuntimeError", "secret detail " + SENTINEL, null));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void healthEndpointsAnswerReadyOnceInformersAreSyncedAndNotWhileStopping() throws Exception {
    try (var endpoints = HttpEndpoints.start(0, harness.operator()::isReady, harness.registry)) {
      endpoints.operatorStarted();
      assertThat(get(endpoints, "/livez").statusCode()).isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get(endpoints, "/readyz").statusCode() == 200);
      assertThat(get(endpoints, "/readyz").body()).isEqualTo("ok\n");

      endpoints.operatorStopping();
      assertThat(get(endpoints, "/readyz").statusCode()).isEqualTo(503);
      assertThat(get(endpoints, "/livez").statusCode()).isEqualTo(200);
    }
    var notStarted =
        new LambdaInvocationOperator(
            harness.client(),
            harness.config(),
            request -> {
              throw new AssertionError("never invoked");
            },
            Clock.systemUTC());
    try (var endpoints = HttpEndpoints.start(0, notStarted::isReady, harness.registry)) {
      assertThat(get(endpoints, "/readyz").statusCode()).isEqualTo(503);
      assertThat(get(endpoints, "/livez").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void probesAnswerAtOnceWhileTheOperatorIsStillStarting() throws Exception {
    ExecutorService threads = Executors.newCachedThreadPool();
    try (var silentApi = new SilentApi();
        KubernetesClient client =
            new KubernetesClientBuilder()
                .withConfig(
                    KubernetesClientConfig.forApiServer(
                        new ConfigBuilder(Config.empty())
                            .withMasterUrl(silentApi.url())
                            .withRequestTimeout(60_000)
                            .withRequestRetryBackoffLimit(0)
                            .build()))
                .build()) {
      var starting =
          new LambdaInvocationOperator(
              client,
              harness.config(),
              request -> {
                throw new AssertionError("never invoked");
              },
              Clock.systemUTC());
      try (var endpoints = HttpEndpoints.start(0, starting::isReady, harness.registry)) {
        var start =
            CompletableFuture.runAsync(
                () -> {
                  starting.start();
                  endpoints.operatorStarted();
                },
                threads);
        // The start now waits for an API that never answers.
        await().atMost(Duration.ofSeconds(10)).until(() -> silentApi.connections() > 0);

        await()
            .during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(6))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  List<CompletableFuture<HttpResponse<String>>> livez = new ArrayList<>();
                  List<CompletableFuture<HttpResponse<String>>> readyz = new ArrayList<>();
                  for (int i = 0; i < 4; i++) {
                    livez.add(getAsync(endpoints, "/livez"));
                    readyz.add(getAsync(endpoints, "/readyz"));
                  }
                  return livez.stream().allMatch(r -> r.join().statusCode() == 200)
                      && readyz.stream().allMatch(r -> r.join().statusCode() == 503);
                });
        assertThat(start).as("still starting").isNotDone();
        silentApi.hangUp();
        await().atMost(Duration.ofSeconds(30)).until(start::isDone);
        starting.close();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void metricsEndpointServesInvocationSecretAndReconcileMetrics() throws Exception {
    harness.create(invocation("good", "ok", "{}"));
    harness.create(invocation("bad", "broken", "{}"));
    harness.awaitReason("good", "Invoked");
    harness.awaitReason("bad", "FunctionError");

    try (var endpoints = HttpEndpoints.start(0, harness.operator()::isReady, harness.registry)) {
      HttpResponse<String> response = get(endpoints, "/metrics");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
      String metrics = response.body();
      assertThat(metrics)
          .contains(
              "lambda_invocations_total{outcome=\"success\",reason=\"Invoked\",trigger=\"SPEC_CHANGED\"}"
                  + " 1.0")
          .contains(
              "lambda_invocations_total{outcome=\"failure\",reason=\"FunctionError\",trigger=\"SPEC_CHANGED\"}"
                  + " 1.0")
          .contains("lambda_invocation_duration_seconds_bucket{outcome=\"success\"")
          .contains("lambda_secrets_written_total 1.0")
          .contains("lambda_secrets_expired_total 0.0")
          .contains("lambda_invocations_in_flight 0.0")
          .contains("lambda_invocations_may_start 1.0")
          .containsPattern("operator_sdk_\\w*reconcil\\w*")
          .doesNotContain(SENTINEL)
          .doesNotContain("RuntimeError")
          .doesNotContain("good")
          .doesNotContain("bad\"");
    }
  }

  @Test
  void eventsRecordFailuresConflictsAndExpiryWithSafeMessages() {
    harness.create(invocation("bad", "broken", "{}"));
    harness
        .client()
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("taken")
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withData(Map.of("k", "dg=="))
                .build())
        .create();
    harness.create(invocation("taken", "ok", "{}"));
    var shortLived = invocation("short", "ok", "{}");
    secretSpec(shortLived).setTtl("1s");
    harness.create(shortLived);

    harness.awaitReason("bad", "FunctionError");
    harness.awaitReason("taken", "SecretConflict");
    harness.awaitReason("short", "Expired");

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              List<Event> events =
                  harness.client().v1().events().inNamespace(NAMESPACE).list().getItems();
              assertThat(events).anySatisfy(e -> assertEvent(e, "bad", "Warning", "FunctionError"));
              assertThat(events)
                  .anySatisfy(e -> assertEvent(e, "taken", "Warning", "SecretConflict"));
              assertThat(events).anySatisfy(e -> assertEvent(e, "short", "Normal", "Expired"));
              assertThat(events)
                  .allSatisfy(
                      e ->
                          assertThat(e.getMessage())
                              .doesNotContain(SENTINEL)
                              .doesNotContain("secret detail"));
            });
  }

  @Test
  void eachSuccessfulInvocationCountsOnOneNormalEventWithoutTheResult() {
    var refreshed = invocation("refreshed", "ok", "{}");
    refreshed.getSpec().setRefreshInterval("1s");
    harness.create(refreshed);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              List<Event> invoked = invokedEvents("refreshed");
              assertThat(invoked)
                  .as("every invocation counts on one Event, not one Event per invocation")
                  .hasSize(1);
              assertThat(invoked.get(0).getCount()).isGreaterThanOrEqualTo(3);
            });
    Event event = invokedEvents("refreshed").get(0);
    assertEvent(event, "refreshed", "Normal", "Invoked");
    assertThat(event.getMessage()).isEqualTo("Invoked ok; result written to Secret refreshed");
    assertThat(event.getLastTimestamp()).isGreaterThan(event.getFirstTimestamp());
    assertThat(harness.lambda.invocationCount("ok")).isGreaterThanOrEqualTo(event.getCount());
  }

  private List<Event> invokedEvents(String name) {
    return harness.client().v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .filter(e -> "Invoked".equals(e.getReason()))
        .toList();
  }

  private void assertEvent(Event event, String name, String type, String reason) {
    assertThat(event.getInvolvedObject().getName()).isEqualTo(name);
    assertThat(event.getInvolvedObject().getKind()).isEqualTo("LambdaInvocation");
    assertThat(event.getInvolvedObject().getUid())
        .isEqualTo(harness.get(name).getMetadata().getUid());
    assertThat(event.getType()).isEqualTo(type);
    assertThat(event.getReason()).isEqualTo(reason);
    assertThat(event.getMessage()).isNotBlank();
    assertThat(event.getSource().getComponent()).isEqualTo("lambda-invocation-operator");
  }

  private HttpResponse<String> get(HttpEndpoints endpoints, String path) throws Exception {
    return http.send(probe(endpoints, path), HttpResponse.BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> getAsync(HttpEndpoints endpoints, String path) {
    return http.sendAsync(probe(endpoints, path), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Over HTTP/1.1 with a one-second timeout, as the kubelet probes (its default timeoutSeconds).
   */
  private static HttpRequest probe(HttpEndpoints endpoints, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoints.port() + path))
        .timeout(Duration.ofSeconds(1))
        .build();
  }

  /**
   * An API server that accepts connections and never answers, until {@link #hangUp()}: from then on
   * it drops every connection, open or new, so a client fails at once. It keeps its port until
   * closed, so a retrying client never reaches another test's server on a reused port.
   */
  private static final class SilentApi implements AutoCloseable {

    private final ServerSocket socket;
    private final List<Socket> accepted = new ArrayList<>();
    private boolean hungUp;

    SilentApi() throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      var acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    keep(socket.accept());
                  }
                } catch (IOException e) {
                  // The API was closed.
                }
              },
              "silent-api");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private synchronized void keep(Socket connection) {
      if (!hungUp) {
        accepted.add(connection);
        return;
      }
      try {
        connection.close();
      } catch (IOException e) {
        // Dropped either way; the acceptor goes on dropping the next ones.
      }
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }

    synchronized int connections() {
      return accepted.size();
    }

    /** Drops every connection, and each new one as it comes. */
    synchronized void hangUp() throws IOException {
      hungUp = true;
      for (Socket connection : accepted) {
        connection.close();
      }
    }

    @Override
    public void close() throws IOException {
      hangUp();
      socket.close();
    }
  }
}
