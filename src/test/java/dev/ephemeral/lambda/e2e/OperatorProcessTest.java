package dev.ephemeral.lambda.e2e;

import static dev.ephemeral.lambda.e2e.OperatorHarness.invocation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.BuildInfo;
import dev.ephemeral.lambda.OperatorMain;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator as deployed: its main class in a separate JVM, configured only by environment
 * variables, against an in-process API and a local Lambda endpoint.
 */
class OperatorProcessTest {

  @TempDir Path logs;

  @Test
  void runConfiguredByEnvironmentInvokesServesHealthAndMetricsAndStopsOnSigterm() throws Exception {
    try (var kubernetes = InProcessKubernetes.start();
        var lambda = LambdaEmulator.start("127.0.0.1", 0)) {
      lambda.function("secret-generator", call -> FunctionOutcome.json(Map.of("api_key", "k")));
      int port = freePort();
      Process operator =
          start(
              Map.of(
                  "KUBERNETES_MASTER", kubernetes.url(),
                  "AWS_ENDPOINT_URL_LAMBDA", lambda.endpoint().toString(),
                  "AWS_REGION", "eu-west-1",
                  "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
                  "AWS_SECRET_ACCESS_KEY", "test-secret",
                  "HTTP_PORT", String.valueOf(port),
                  "POD_NAMESPACE", "lambda-invocation-system",
                  "MAX_INVOCATIONS_IN_FLIGHT", "not-a-number"));
      try {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> get(http, port, "/readyz").statusCode() == 200);
        assertThat(get(http, port, "/livez").statusCode()).isEqualTo(200);

        kubernetes.client().resource(invocation("api-key", "secret-generator", "{}")).create();
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  var r =
                      kubernetes
                          .client()
                          .resources(LambdaInvocation.class)
                          .inNamespace(OperatorHarness.NAMESPACE)
                          .withName("api-key")
                          .get();
                  return r.getStatus() != null && r.getStatus().isReady();
                });
        assertThat(lambda.invocationCount("secret-generator")).isEqualTo(1);
        assertThat(get(http, port, "/metrics").body())
            .contains(
                "lambda_invocations_total{outcome=\"success\",reason=\"Invoked\",trigger=\"SPEC_CHANGED\"}"
                    + " 1.0")
            .as("the leader, its Lease confirmed, may start calls")
            .contains("lambda_invocations_may_start 1.0");
        assertThat(leaseHolder(kubernetes)).as("leads through the Lease").isNotBlank();
      } finally {
        operator.destroy();
      }
      assertThat(operator.waitFor(30, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
      assertThat(leaseHolder(kubernetes)).as("gave up the Lease as it stopped").isEmpty();
      String log = Files.readString(logs.resolve("operator.log"));
      assertThat(log)
          .contains("Ignoring invalid environment variable")
          .contains("MAX_INVOCATIONS_IN_FLIGHT");
      assertThat(log).contains("Stopping the operator");
    }
  }

  @Test
  void operatorKilledMidCallInvokesAgainOnItsNextStartAndEndsReadyWithOneSecret()
      throws Exception {
    try (var kubernetes = InProcessKubernetes.start();
        var lambda = LambdaEmulator.start("127.0.0.1", 0)) {
      // The first call is held until its operator is killed; the second answers at once.
      var killed = new CountDownLatch(1);
      lambda.function(
          "slow-generator",
          OperatorHarness.heldUntil(killed, FunctionOutcome.json(Map.of("api_key", "k"))));
      var environment =
          Map.of(
              "KUBERNETES_MASTER", kubernetes.url(),
              "AWS_ENDPOINT_URL_LAMBDA", lambda.endpoint().toString(),
              "AWS_REGION", "eu-west-1",
              "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
              "AWS_SECRET_ACCESS_KEY", "test-secret",
              "HTTP_PORT", String.valueOf(freePort()),
              "LEADER_ELECTION", "false",
              "POD_NAMESPACE", "lambda-invocation-system");
      var resource = invocation("api-key", "slow-generator", "{}");
      resource.getSpec().setInvokePolicy("OnChange");
      kubernetes.client().resource(resource).create();

      Process first = start(environment);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> lambda.invocationCount("slow-generator") == 1);
      first.destroyForcibly();
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
      killed.countDown();
      var invocations = kubernetes.client().resources(LambdaInvocation.class);
      assertThat(invocations.inNamespace(OperatorHarness.NAMESPACE).withName("api-key").get())
          .as("a killed operator wrote no status for its call")
          .satisfies(r -> assertThat(r.getStatus()).isNull());

      Process second = start(environment);
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  var r = invocations.inNamespace(OperatorHarness.NAMESPACE).withName("api-key").get();
                  return r.getStatus() != null && r.getStatus().isReady();
                });
        // The call the killed operator made was never recorded, so its successor makes it again,
        // whatever the invokePolicy: two calls in all, one Secret.
        assertThat(lambda.invocationCount("slow-generator")).isEqualTo(2);
        assertThat(
                kubernetes
                    .client()
                    .secrets()
                    .inNamespace(OperatorHarness.NAMESPACE)
                    .withLabel("lambda.ephemeral.dev/invocation", "api-key")
                    .list()
                    .getItems())
            .hasSize(1);
      } finally {
        second.destroy();
        second.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * While the API server has not answered the operator's first request, the probes already
   * answer: /livez 200, /readyz 503. A slow start must not look like a dead pod (a liveness
   * probe's connection error restarts it).
   */
  @Test
  void probesAnswerFromTheFirstMomentsWhileTheApiServerIsSlow() throws Exception {
    var held = new java.util.concurrent.atomic.AtomicInteger();
    var release = new java.util.concurrent.CountDownLatch(1);
    HttpServer slowApi = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    slowApi.setExecutor(Executors.newCachedThreadPool());
    slowApi.createContext(
        "/",
        exchange -> {
          held.incrementAndGet();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.sendResponseHeaders(503, -1);
          exchange.close();
        });
    slowApi.start();
    int port = freePort();
    Process operator =
        start(
            Map.of(
                "KUBERNETES_MASTER", "http://127.0.0.1:" + slowApi.getAddress().getPort(),
                "AWS_REGION", "eu-west-1",
                "HTTP_PORT", String.valueOf(port),
                "POD_NAMESPACE", "lambda-invocation-system"));
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> held.get() >= 1);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

      assertThat(get(http, port, "/livez").statusCode()).isEqualTo(200);
      assertThat(get(http, port, "/readyz").statusCode()).isEqualTo(503);
      assertThat(operator.isAlive()).as("still waiting on the API server").isTrue();
    } finally {
      release.countDown();
      operator.destroy();
      operator.waitFor(30, TimeUnit.SECONDS);
      slowApi.stop(0);
    }
  }

  @Test
  void noReachableClusterIsOneClearLineAndExitStatusOne() throws Exception {
    Process operator = start(Map.of("KUBERNETES_MASTER", "http://127.0.0.1:" + freePort()));
    assertThat(operator.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(operator.exitValue()).isEqualTo(1);
    List<String> lines =
        Files.readAllLines(logs.resolve("operator.log")).stream()
            .filter(l -> l.startsWith("lambda-invocation-operator: "))
            .toList();
    assertThat(lines)
        .singleElement()
        .satisfies(
            line ->
                assertThat(line).contains("cannot reach the Kubernetes API at http://127.0.0.1:"));
    assertThat(Files.readString(logs.resolve("operator.log"))).doesNotContain("\tat ");
  }

  @Test
  void logsItsVersionsAndSettingsAtStartWithoutSecrets() throws Exception {
    Process operator =
        start(
            Map.of(
                "KUBERNETES_MASTER", "http://127.0.0.1:" + freePort(),
                "AWS_ENDPOINT_URL_LAMBDA", "http://user:start-sentinel@127.0.0.1:9/",
                "AWS_SECRET_ACCESS_KEY", "start-sentinel",
                "WATCH_NAMESPACES", "shop"));
    assertThat(operator.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String log = Files.readString(logs.resolve("operator.log"));
    BuildInfo build = BuildInfo.current();
    assertThat(log.lines().filter(l -> l.contains("Starting lambda-invocation-operator")))
        .singleElement()
        .satisfies(
            line ->
                assertThat(line)
                    .contains("version=\"" + build.version() + "\"")
                    .contains("javaOperatorSdk=\"" + build.javaOperatorSdk() + "\"")
                    .contains("kubernetesClient=\"" + build.kubernetesClient() + "\"")
                    .contains("awsSdk=\"" + build.awsSdk() + "\""));
    assertThat(log.lines().filter(l -> l.contains(" - Settings ")))
        .singleElement()
        .satisfies(
            line ->
                assertThat(line)
                    .contains("WATCH_NAMESPACES=\"shop\"")
                    .contains("AWS_ENDPOINT_URL_LAMBDA=\"http://127.0.0.1:9/\"")
                    .contains("POLICY_MODE="));
    assertThat(log).doesNotContain("start-sentinel");
  }

  @Test
  void logFormatJsonWritesOneObjectPerLineWithThePairsAsFields() throws Exception {
    Process operator =
        start(
            Map.of(
                "KUBERNETES_MASTER", "http://127.0.0.1:" + freePort(),
                "LOG_FORMAT", "json",
                "WATCH_NAMESPACES", "shop"),
            // The logback.xml the jars ship, not the tests' logback-test.xml.
            List.of("-Dlogback.configurationFile=" + Path.of("src/main/resources/logback.xml")));
    assertThat(operator.waitFor(60, TimeUnit.SECONDS)).isTrue();
    // Every line, the one that says why it gives up too.
    List<String> lines = Files.readAllLines(logs.resolve("operator.log"));
    assertThat(lines).isNotEmpty();
    var mapper = new ObjectMapper();
    List<JsonNode> objects = new ArrayList<>();
    for (String line : lines) {
      objects.add(mapper.readTree(line));
    }
    assertThat(objects)
        .allSatisfy(
            o ->
                assertThat(o.fieldNames())
                    .toIterable()
                    .contains("time", "level", "logger", "message"));
    assertThat(objects)
        .filteredOn(o -> o.path("message").asText().equals("Settings"))
        .singleElement()
        .satisfies(o -> assertThat(o.path("WATCH_NAMESPACES").asText()).isEqualTo("shop"))
        .satisfies(o -> assertThat(o.path("LEADER_ELECTION").isBoolean()).isTrue());
    assertThat(objects)
        .filteredOn(o -> o.path("level").asText().equals("ERROR"))
        .singleElement()
        .satisfies(
            o ->
                assertThat(o.path("message").asText())
                    .startsWith("cannot reach the Kubernetes API at http://127.0.0.1:"));
  }

  private Process start(Map<String, String> environment) throws IOException {
    return start(environment, List.of());
  }

  private Process start(Map<String, String> environment, List<String> jvmOptions)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The client compiler only: the operator starts in half the CPU time, which is what these
    // short runs spend most of; what it does is the same.
    command.add("-XX:TieredStopAtLevel=1");
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-cp", System.getProperty("java.class.path"), OperatorMain.class.getName(), "run"));
    var builder = new ProcessBuilder(command);
    builder.environment().clear();
    builder.environment().putAll(environment);
    builder.environment().put("KUBECONFIG", new File(logs.toFile(), "no-kubeconfig").getPath());
    builder.environment().put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
    builder.environment().put("KUBERNETES_NAMESPACE", "default");
    builder.redirectErrorStream(true);
    builder.redirectOutput(logs.resolve("operator.log").toFile());
    return builder.start();
  }

  private static String leaseHolder(InProcessKubernetes kubernetes) {
    return kubernetes
        .client()
        .leases()
        .inNamespace("lambda-invocation-system")
        .withName("lambda-invocation-operator")
        .get()
        .getSpec()
        .getHolderIdentity();
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
