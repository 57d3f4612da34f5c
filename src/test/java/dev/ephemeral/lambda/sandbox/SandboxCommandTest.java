package dev.ephemeral.lambda.sandbox;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.emulator.ExampleFunctions;
import dev.ephemeral.lambda.emulator.FunctionCall;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.emulator.LambdaFunction;
import dev.ephemeral.lambda.emulator.RecordedInvocation;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Drives the sandbox in-process through {@link SandboxMain#commandLine}, as {@code main} does but
 * without System.exit and with an environment of the test's own: the examples, the YAML/JSON
 * report, an external Lambda endpoint, refresh and expiry with --duration, the operator's
 * environment variables, and exit status 1 and 2. Runs with the project root as working directory,
 * so {@code examples/} resolves.
 */
class SandboxCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * Anything that looks like a Secret value: a long base64 or hex run. The table shows names only.
   */
  private static final Pattern VALUE_LIKE = Pattern.compile("[A-Za-z0-9+/=]{20,}");

  /** The examples and the state each is expected to reach. */
  private static final Map<String, String> EXAMPLE_REASONS =
      Map.ofEntries(
          Map.entry("api-key", "Invoked"),
          Map.entry("sizing", "Invoked"),
          Map.entry("compliance", "Invoked"),
          Map.entry("rollout-config", "Invoked"),
          Map.entry("db-credentials", "Invoked"),
          Map.entry("failing-check", "FunctionError"),
          Map.entry("session-key", "Invoked"),
          Map.entry("sessions-compliance", "ConditionNotMet"),
          Map.entry("checkout-sizing", "Invoked"),
          Map.entry("registry-pull", "Invoked"),
          Map.entry("webhook-signing-key", "Invoked"));

  /**
   * The sandbox sets the level of these loggers; put them back for the other test classes in this
   * JVM.
   */
  private static final List<String> LOGGERS =
      List.of(
          "dev.ephemeral.lambda",
          "io.javaoperatorsdk",
          "Default ConfigurationService implementation");

  private static final Map<String, Level> savedLevels = new HashMap<>();

  @BeforeAll
  static void saveLogLevels() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      LOGGERS.forEach(name -> savedLevels.put(name, context.getLogger(name).getLevel()));
    }
  }

  @AfterAll
  static void restoreLogLevels() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      savedLevels.forEach((name, level) -> context.getLogger(name).setLevel(level));
    }
  }

  // --- the examples ------------------------------------------------------------------------------

  @Test
  void examplesAllReachTheirExpectedStateAndTheTableShowsKeyNamesOnly() {
    Run run = sandbox();

    assertThat(run.exitCode()).as(run.describe()).isZero();
    Map<String, Map<String, String>> table = table(run.out());
    assertThat(table).as(run.out()).containsOnlyKeys(EXAMPLE_REASONS.keySet());
    EXAMPLE_REASONS.forEach(
        (name, reason) -> {
          Map<String, String> row = table.get(name);
          assertThat(row.get("READY"))
              .as(name)
              .isEqualTo(reason.equals("Invoked") ? "True" : "False");
          assertThat(row.get("REASON")).as(name).isEqualTo(reason);
          assertThat(Long.parseLong(row.get("INVOCATIONS"))).as(name).isGreaterThanOrEqualTo(1);
        });

    assertThat(table.get("sizing"))
        .containsEntry("STATUS CODE", "200")
        .containsEntry("EXECUTED VERSION", "3")
        .containsEntry("SECRET", "sizing-config")
        .containsEntry("KEYS", "desired_instances,max_instances,min_instances,result");
    assertThat(table.get("api-key"))
        .containsEntry("EXECUTED VERSION", "$LATEST")
        .containsEntry("SECRET", "api-key")
        .containsEntry("KEYS", "api_key,result");
    assertThat(table.get("compliance"))
        .containsEntry("KEYS", "compliant,log_result,result,violations");
    assertThat(table.get("rollout-config"))
        .containsEntry("KEYS", "max_percent,min_healthy_percent,replica_count,result");
    assertThat(table.get("db-credentials"))
        .containsEntry("SECRET", "orders-db")
        .containsEntry("KEYS", "password,result,username");
    assertThat(table.get("session-key"))
        .containsEntry("SECRET", "session-key")
        .containsEntry("KEYS", "result");
    assertThat(table.get("checkout-sizing"))
        .containsEntry("EXECUTED VERSION", "3")
        .containsEntry("SECRET", "checkout-sizing")
        .containsEntry("KEYS", "desired_instances,max_instances,min_instances,result");
    assertThat(table.get("registry-pull"))
        .containsEntry("SECRET", "registry-pull")
        .containsEntry("KEYS", ".dockerconfigjson,result");
    // The gate holds its sync wave: the function answered, its result was rejected, no Secret.
    assertThat(table.get("sessions-compliance"))
        .containsEntry("STATUS CODE", "200")
        .containsEntry("SECRET", "<none>")
        .containsEntry("KEYS", "<none>");
    assertThat(table.get("webhook-signing-key"))
        .containsEntry("SECRET", "webhook-signing-key")
        .containsEntry("KEYS", "result,signing_key");
    assertThat(table.get("failing-check"))
        .containsEntry("STATUS CODE", "<none>")
        .containsEntry("EXECUTED VERSION", "<none>")
        .containsEntry("SECRET", "<none>")
        .containsEntry("KEYS", "<none>");
    // Its failure is the one the example expects: one line says so, instead of WARN log lines.
    assertThat(run.err().lines())
        .containsOnlyOnce(
            "lambda-invocation-sandbox: demo/failing-check FunctionError, as expected"
                + " (sandbox.lambda.ephemeral.dev/expect): Invocation failed: the function"
                + " returned an error (Unhandled, errorType RuntimeError)");

    // Names only: no base64 or hex value, no JSON of a result.
    assertThat(VALUE_LIKE.matcher(run.out()).results().map(m -> m.group()).toList()).isEmpty();
    assertThat(run.out()).doesNotContain("{", "\"", "app_");
  }

  @Test
  void yamlOutputIsAListOfTheInvocationsAndTheirSecrets() throws IOException {
    Run run = sandbox("-o", "yaml");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertReportList(YAML.readTree(run.out()));
    // Shaped like kubectl get -o yaml: no document marker, plain scalars where YAML allows.
    assertThat(run.out()).startsWith("apiVersion: v1\n");
    assertThat(run.out().lines())
        .contains("kind: List", "  kind: LambdaInvocation")
        .anySatisfy(l -> assertThat(l).matches(" +functionName: [a-z][a-z-]+"))
        // Timestamps quoted, as go-yaml quotes a string YAML 1.1 would read as a timestamp.
        .anySatisfy(
            l -> assertThat(l).matches(" +creationTimestamp: \"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z\""))
        .noneMatch(l -> l.matches(" +[a-zA-Z]+Time(stamp)?: [0-9].*"))
        .noneMatch(l -> l.equals("---"));
  }

  @Test
  void jsonOutputIsTheSameListAsJson() throws IOException {
    Run run = sandbox("-o", "json");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.out().strip()).startsWith("{").endsWith("}");
    assertReportList(JSON.readTree(run.out()));
  }

  /** The report of examples/ as kubectl get -o yaml|json would print it. */
  private static void assertReportList(JsonNode list) throws IOException {
    assertThat(list.path("apiVersion").asText()).isEqualTo("v1");
    assertThat(list.path("kind").asText()).isEqualTo("List");
    Map<String, JsonNode> invocations = items(list, "LambdaInvocation");
    Map<String, JsonNode> secrets = items(list, "Secret");
    Map<String, JsonNode> deployments = items(list, "Deployment");
    assertThat(list.path("items").size())
        .as("only LambdaInvocations, Secrets and the workloads they restart")
        .isEqualTo(invocations.size() + secrets.size() + deployments.size());

    assertThat(invocations).containsOnlyKeys(EXAMPLE_REASONS.keySet());
    invocations.forEach(
        (name, invocation) -> {
          assertThat(invocation.path("apiVersion").asText())
              .isEqualTo("lambda.ephemeral.dev/v1alpha1");
          assertThat(invocation.at("/metadata/namespace").asText()).isEqualTo("demo");
          JsonNode ready = readyCondition(invocation);
          assertThat(ready.path("reason").asText()).as(name).isEqualTo(EXAMPLE_REASONS.get(name));
          assertThat(ready.path("status").asText())
              .as(name)
              .isEqualTo(EXAMPLE_REASONS.get(name).equals("Invoked") ? "True" : "False");
          assertThat(invocation.at("/status/observedGeneration").asLong())
              .as(name)
              .isEqualTo(invocation.at("/metadata/generation").asLong());
        });
    assertThat(invocations.get("sizing").at("/status/statusCode").asInt()).isEqualTo(200);
    assertThat(invocations.get("sizing").at("/status/executedVersion").asText()).isEqualTo("3");
    assertThat(invocations.get("sizing").at("/status/secretName").asText())
        .isEqualTo("sizing-config");

    // One Secret per successful invocation; the failing one and the rejected one have none.
    assertThat(secrets)
        .containsOnlyKeys(
            "api-key",
            "sizing-config",
            "compliance",
            "rollout-config",
            "orders-db",
            "session-key",
            "checkout-sizing",
            "registry-pull",
            "webhook-signing-key");
    Map<String, String> types =
        Map.of(
            "orders-db", "kubernetes.io/basic-auth",
            "registry-pull", "kubernetes.io/dockerconfigjson");
    secrets.forEach(
        (name, secret) -> {
          assertThat(secret.path("apiVersion").asText()).isEqualTo("v1");
          assertThat(secret.path("type").asText())
              .as(name)
              .isEqualTo(types.getOrDefault(name, "Opaque"));
          assertThat(secret.has("stringData")).as(name).isFalse();
          assertThat(secret.at("/metadata/labels/app.kubernetes.io~1managed-by").asText())
              .as(name)
              .isEqualTo("lambda-invocation-operator");
          assertThat(secret.at("/metadata/ownerReferences/0/kind").asText())
              .as(name)
              .isEqualTo("LambdaInvocation");
          secret
              .path("data")
              .fields()
              .forEachRemaining(
                  entry ->
                      assertThat(decodes(entry.getValue().asText()))
                          .as(name + " data." + entry.getKey() + " is base64")
                          .isTrue());
        });

    JsonNode sizing = secrets.get("sizing-config");
    assertThat(fieldNames(sizing.path("data")))
        .containsExactlyInAnyOrder("desired_instances", "max_instances", "min_instances", "result");
    assertThat(decode(sizing.at("/data/desired_instances"))).isEqualTo("10");
    assertThat(decode(sizing.at("/data/min_instances"))).isEqualTo("4");
    assertThat(decode(sizing.at("/data/max_instances"))).isEqualTo("20");
    assertThat(JSON.readTree(decode(sizing.at("/data/result"))).path("desired_instances").asInt())
        .isEqualTo(10);

    assertThat(fieldNames(secrets.get("api-key").path("data")))
        .containsExactlyInAnyOrder("api_key", "result");
    assertThat(decode(secrets.get("api-key").at("/data/api_key"))).matches("[0-9a-f]{64}");
    assertThat(fieldNames(secrets.get("compliance").path("data")))
        .containsExactlyInAnyOrder("compliant", "violations", "result", "log_result");
    assertThat(decode(secrets.get("compliance").at("/data/compliant"))).isEqualTo("true");
    assertThat(fieldNames(secrets.get("rollout-config").path("data")))
        .containsExactlyInAnyOrder("replica_count", "max_percent", "min_healthy_percent", "result");
    assertThat(fieldNames(secrets.get("session-key").path("data"))).containsExactly("result");

    JsonNode orders = secrets.get("orders-db");
    assertThat(fieldNames(orders.path("data")))
        .containsExactlyInAnyOrder("username", "password", "result");
    assertThat(orders.at("/metadata/labels/app").asText()).isEqualTo("orders");
    assertThat(orders.at("/metadata/annotations/team").asText()).isEqualTo("payments");
    assertThat(orders.at("/metadata/annotations/lambda.ephemeral.dev~1expires-at").asText())
        .isNotEmpty();
    assertThat(decode(orders.at("/data/username"))).startsWith("app_");

    // payloadFrom: the ConfigMap's expected-load "high" replaced the payload's default "medium"
    // (an api workload at medium load would be 3 to 12 instances, 7 desired).
    JsonNode checkout = secrets.get("checkout-sizing");
    assertThat(decode(checkout.at("/data/min_instances"))).isEqualTo("6");
    assertThat(decode(checkout.at("/data/desired_instances"))).isEqualTo("12");
    assertThat(decode(checkout.at("/data/max_instances"))).isEqualTo("24");
    assertThat(invocations.get("checkout-sizing").at("/status/inputsHash").asText()).isNotEmpty();

    // secret.template: a .dockerconfigjson whose auth is base64 of username:password.
    JsonNode registry = secrets.get("registry-pull");
    assertThat(fieldNames(registry.path("data")))
        .containsExactlyInAnyOrder(".dockerconfigjson", "result");
    JsonNode login = JSON.readTree(decode(registry.at("/data/result")));
    JsonNode auth =
        JSON.readTree(decode(registry.at("/data/.dockerconfigjson")))
            .path("auths")
            .path("123456789012.dkr.ecr.us-east-1.amazonaws.com");
    assertThat(auth.path("username").asText()).isEqualTo("AWS");
    assertThat(auth.path("password").asText()).isEqualTo(login.path("password").asText());
    assertThat(new String(Base64.getDecoder().decode(auth.path("auth").asText()), UTF_8))
        .isEqualTo("AWS:" + login.path("password").asText());

    // onDelete: the resource carries the finalizer that holds its deletion for the last call.
    assertThat(invocations.get("db-credentials").at("/metadata/finalizers").toString())
        .isEqualTo("[\"lambda.ephemeral.dev/on-delete\"]");
    assertThat(invocations.get("api-key").at("/metadata/finalizers").size())
        .as("no onDelete, no finalizer")
        .isZero();

    // rolloutRestartTargets: api-key's Deployment was restarted when its Secret was written.
    assertThat(deployments).containsOnlyKeys("api");
    assertThat(
            deployments
                .get("api")
                .at("/spec/template/metadata/annotations/lambda.ephemeral.dev~1restartedAt")
                .asText())
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
  }

  @Test
  void theInputsExampleSendsTheConfigMapsValueMergedIntoThePayload() throws IOException {
    try (LambdaEmulator lambda = LambdaEmulator.start("127.0.0.1", 0)) {
      ExampleFunctions.registerAll(lambda);

      Run run =
          sandbox(
              "-f",
              "examples/08-inputs-from-configmap.yaml",
              "--timeout",
              "20s",
              "--lambda-endpoint",
              lambda.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(table(run.out()).get("checkout-sizing"))
          .containsEntry("REASON", "Invoked")
          .containsEntry("INVOCATIONS", "1");
      List<RecordedInvocation> received = lambda.invocations();
      assertThat(received).hasSize(1);
      assertThat(JSON.readTree(received.get(0).body()))
          .isEqualTo(JSON.readTree("{\"expected_load\":\"high\",\"workload_type\":\"api\"}"));
    }
  }

  /**
   * The Argo CD example app, as Argo CD would sync it: with the policy it brings (the sandbox then
   * enforces policies, as a default install does), its LambdaInvocation ends Ready.
   */
  @Test
  void theArgoCdExampleAppIsAllowedByItsOwnPolicyAndEndsReady() {
    Run run = sandbox("-f", "deploy/argocd/example-app/", "--timeout", "20s");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(table(run.out())).containsOnlyKeys("api-key");
    assertThat(table(run.out()).get("api-key"))
        .containsEntry("READY", "True")
        .containsEntry("REASON", "Invoked")
        .containsEntry("KEYS", "api_key,result")
        .containsEntry("INVOCATIONS", "1");
  }

  @Test
  void thePolicyExamplesRunOnTheirOwnEnforcingThePolicy() {
    Run run = sandbox("-f", "examples/policies/", "--timeout", "20s");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    var table = table(run.out());
    assertThat(table).containsOnlyKeys("shop-api-key", "shop-sizing");
    assertThat(table.get("shop-api-key"))
        .containsEntry("READY", "True")
        .containsEntry("REASON", "Invoked")
        .containsEntry("KEYS", "api_key,result")
        .containsEntry("INVOCATIONS", "1");
    assertThat(table.get("shop-sizing"))
        .containsEntry("READY", "False")
        .containsEntry("REASON", "NotAllowed")
        .containsEntry("SECRET", "<none>")
        .containsEntry("INVOCATIONS", "0");
  }

  // --- an external Lambda endpoint ---------------------------------------------------------------

  @Test
  void lambdaEndpointSendsTheInvocationsToTheGivenEndpointSigned(@TempDir Path dir)
      throws IOException {
    try (LambdaEmulator external = LambdaEmulator.start("127.0.0.1", 0)) {
      external.function("external-fn", call -> FunctionOutcome.json(Map.of("token", "x")));
      Path manifest =
          write(
              dir,
              "external.yaml",
              invocation(
                  "external",
                  "default",
                  "external-fn",
                  """
                    secret:
                      keys:
                        token: /token
                  """,
                  Map.of()));

      Run run =
          sandbox(
              Map.of("AWS_REGION", "eu-central-1"),
              "-f",
              manifest.toString(),
              "--timeout",
              "20s",
              "--lambda-endpoint",
              external.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(table(run.out()).get("external"))
          .containsEntry("READY", "True")
          .containsEntry("REASON", "Invoked")
          .containsEntry("STATUS CODE", "200")
          .containsEntry("EXECUTED VERSION", "$LATEST")
          .containsEntry("KEYS", "result,token")
          .containsEntry("INVOCATIONS", "1");
      List<RecordedInvocation> received = external.invocations();
      assertThat(received).hasSize(1);
      RecordedInvocation request = received.get(0);
      assertThat(request.functionName()).isEqualTo("external-fn");
      assertThat(request.method()).isEqualTo("POST");
      assertThat(request.signedWithSigV4()).as(request.header("authorization")).isTrue();
      assertThat(request.header("authorization"))
          .contains("Credential=test/")
          .contains("/eu-central-1/lambda/aws4_request");
      assertThat(JSON.readTree(request.body())).isEqualTo(JSON.readTree("{\"count\":1}"));
    }
  }

  @Test
  void withLambdaEndpointTheBuiltInFunctionsAreNotServed(@TempDir Path dir) throws IOException {
    try (LambdaEmulator external = LambdaEmulator.start("127.0.0.1", 0)) {
      external.function("external-fn", call -> FunctionOutcome.json(Map.of("token", "x")));
      Path manifest =
          write(
              dir,
              "builtin.yaml",
              invocation("needs-builtin", "default", "secret-generator", "", Map.of()));

      Run run =
          sandbox(
              "-f",
              manifest.toString(),
              "--timeout",
              "10s",
              "--lambda-endpoint",
              external.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
      assertThat(table(run.out()).get("needs-builtin"))
          .containsEntry("READY", "False")
          .containsEntry("REASON", "FunctionNotFound")
          .containsEntry("SECRET", "<none>");
      assertThat(external.invocationCount("secret-generator")).isGreaterThanOrEqualTo(1);
    }
  }

  // --- the operator's environment variables
  // -------------------------------------------------------

  @Test
  void awsEndpointUrlLambdaSendsTheInvocationsThereAndLambdaEndpointTakesPrecedence(
      @TempDir Path dir) {
    try (LambdaEmulator fromEnvironment = LambdaEmulator.start("127.0.0.1", 0);
        LambdaEmulator fromOption = LambdaEmulator.start("127.0.0.1", 0)) {
      for (LambdaEmulator emulator : List.of(fromEnvironment, fromOption)) {
        emulator.function("external-fn", call -> FunctionOutcome.json(Map.of("token", "x")));
      }
      Map<String, String> environment =
          Map.of("AWS_ENDPOINT_URL_LAMBDA", fromEnvironment.endpoint().toString());
      Path manifest =
          write(dir, "routed.yaml", invocation("routed", "default", "external-fn", "", Map.of()));

      Run viaEnvironment = sandbox(environment, "-f", manifest.toString(), "--timeout", "20s");

      assertThat(viaEnvironment.exitCode()).as(viaEnvironment.describe()).isZero();
      assertThat(fromEnvironment.invocationCount("external-fn")).isEqualTo(1);
      assertThat(fromOption.invocationCount("external-fn")).isZero();

      Run viaOption =
          sandbox(
              environment,
              "-f",
              manifest.toString(),
              "--timeout",
              "20s",
              "--lambda-endpoint",
              fromOption.endpoint().toString());

      assertThat(viaOption.exitCode()).as(viaOption.describe()).isZero();
      assertThat(fromOption.invocationCount("external-fn")).isEqualTo(1);
      assertThat(fromEnvironment.invocationCount("external-fn")).isEqualTo(1);
    }
  }

  @Test
  void retryMaxRetriesZeroInvokesAFailingFunctionOnlyOnce() {
    Run run =
        sandbox(
            Map.of("RETRY_INITIAL_BACKOFF", "1s", "RETRY_MAX_RETRIES", "0"),
            "-f",
            "examples/06-error-handling.yaml",
            "--duration",
            "4s");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    // With retries left, the 1s backoff retries within the 4 seconds (the next test).
    assertThat(table(run.out()).get("failing-check"))
        .containsEntry("REASON", "FunctionError")
        .containsEntry("INVOCATIONS", "1");
  }

  @Test
  void retryInitialBackoffSetsHowSoonAFailingFunctionIsRetried() {
    Run run =
        sandbox(
            Map.of("RETRY_INITIAL_BACKOFF", "1s"),
            "-f",
            "examples/06-error-handling.yaml",
            "--duration",
            "4s");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    Map<String, String> row = table(run.out()).get("failing-check");
    assertThat(row).containsEntry("REASON", "FunctionError");
    // The default backoff (5s) would not retry within the 4 seconds.
    assertThat(Long.parseLong(row.get("INVOCATIONS"))).isGreaterThanOrEqualTo(2);
  }

  @Test
  void maxInvocationsInFlightLimitsHowManyCallsRunAtOnce(@TempDir Path dir) {
    try (LambdaEmulator external = LambdaEmulator.start("127.0.0.1", 0)) {
      var slow = new SlowFunction(Duration.ofSeconds(2));
      external.function("slow", slow);

      Run run =
          sandbox(
              Map.of("MAX_INVOCATIONS_IN_FLIGHT", "2"),
              "-f",
              slowInvocations(dir, 4).toString(),
              "--timeout",
              "30s",
              "--lambda-endpoint",
              external.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(external.invocationCount("slow")).isEqualTo(4);
      assertThat(slow.mostAtOnce()).isEqualTo(2);
    }
  }

  @Test
  void anInvalidMaxInvocationsInFlightIsLoggedAndTheDefaultUsed(@TempDir Path dir) {
    int calls = OperatorConfig.DEFAULT_MAX_IN_FLIGHT + 1;
    var warnings = new ListAppender<ILoggingEvent>();
    var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.ephemeral.lambda");
    warnings.start();
    logger.addAppender(warnings);
    try (LambdaEmulator external = LambdaEmulator.start("127.0.0.1", 0)) {
      var slow = new SlowFunction(Duration.ofSeconds(2));
      external.function("slow", slow);

      Run run =
          sandbox(
              Map.of("MAX_INVOCATIONS_IN_FLIGHT", "ten"),
              "-f",
              slowInvocations(dir, calls).toString(),
              "--timeout",
              "30s",
              "--lambda-endpoint",
              external.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(external.invocationCount("slow")).isEqualTo(calls);
      assertThat(slow.mostAtOnce()).isEqualTo(OperatorConfig.DEFAULT_MAX_IN_FLIGHT);
    } finally {
      logger.detachAppender(warnings);
    }
    assertThat(warnings.list)
        .filteredOn(e -> e.getLevel() == Level.WARN)
        .map(SandboxCommandTest::withKeyValues)
        .anySatisfy(line -> assertThat(line).contains("MAX_INVOCATIONS_IN_FLIGHT", "ten"));
  }

  // --- refresh and expiry ------------------------------------------------------------------------

  @Test
  void durationShowsARefreshAndATtlExpiring(@TempDir Path dir) throws IOException {
    Path refreshed =
        write(
            dir,
            "refreshed.yaml",
            invocation(
                "refreshed",
                "watch",
                "secret-generator",
                """
                  refreshInterval: 2s
                """,
                Map.of()));
    Path expiring =
        write(
            dir,
            "expiring.yaml",
            invocation(
                "expiring",
                "watch",
                "secret-generator",
                """
                  secret:
                    ttl: 2s
                """,
                Map.of(Expectation.ANNOTATION, "Expired")));

    Run run =
        sandbox(
            "-f",
            refreshed.toString(),
            "-f",
            expiring.toString(),
            "--timeout",
            "20s",
            "--duration",
            "5s");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    Map<String, Map<String, String>> table = table(run.out());
    assertThat(table.get("refreshed"))
        .containsEntry("READY", "True")
        .containsEntry("REASON", "Invoked")
        .containsEntry("SECRET", "refreshed")
        .containsEntry("KEYS", "result");
    assertThat(Long.parseLong(table.get("refreshed").get("INVOCATIONS"))).isGreaterThanOrEqualTo(2);
    assertThat(table.get("expiring"))
        .containsEntry("READY", "False")
        .containsEntry("REASON", "Expired")
        .containsEntry("SECRET", "<none>")
        .containsEntry("KEYS", "<none>")
        // Retiring the Secret does not invoke, and it stays expired.
        .containsEntry("INVOCATIONS", "1");
    // Each refresh and the expiry as it happens: one line each on stderr.
    assertThat(run.err().lines())
        .anyMatch(l -> l.matches("lambda-invocation-sandbox: \\S+ watch/refreshed refreshed: Invoked"))
        .anyMatch(l -> l.matches("lambda-invocation-sandbox: \\S+ watch/expiring expired: .+"));
  }

  @Test
  void anUnreachableLambdaEndpointIsOneLineNamingItsUrl(@TempDir Path dir) throws IOException {
    String endpoint;
    try (var socket = new java.net.ServerSocket(0)) {
      endpoint = "http://127.0.0.1:" + socket.getLocalPort();
    }
    Path file = write(dir, "one.yaml", invocationWithPayload("one", "  payload: {}"));

    Run run = sandbox("-f", file.toString(), "--lambda-endpoint", endpoint);

    assertThat(run.exitCode()).as(run.describe()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith(
                        "lambda-invocation-sandbox: --lambda-endpoint "
                            + endpoint
                            + " is not reachable (ConnectException"));
  }

  // --- policies ---------------------------------------------------------------------------------

  @Test
  void filesWithAPolicyAreRunEnforcingIt(@TempDir Path dir) throws IOException {
    write(
        dir,
        "policy.yaml",
        """
        apiVersion: lambda.ephemeral.dev/v1alpha1
        kind: LambdaInvocationPolicy
        metadata:
          name: default-namespace
        spec:
          namespaces: [default]
          functions:
          - name: "secret-*"
        """);
    write(dir, "allowed.yaml", invocation("allowed", "default", "secret-generator", "", Map.of()));
    write(
        dir,
        "refused.yaml",
        invocation(
            "refused",
            "default",
            "config-fetcher",
            "",
            Map.of(Expectation.ANNOTATION, "NotAllowed")));

    var refusals = new ListAppender<ILoggingEvent>();
    var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.ephemeral.lambda");
    refusals.start();
    logger.addAppender(refusals);
    Run run;
    try {
      run = sandbox("-f", dir.toString(), "--timeout", "20s");
    } finally {
      logger.detachAppender(refusals);
    }

    assertThat(run.exitCode()).as(run.describe()).isZero();
    var table = table(run.out());
    assertThat(table.get("allowed")).containsEntry("REASON", "Invoked");
    // allowed.yaml comes before policy.yaml, yet the operator judged it only with the policy read.
    assertThat(refusals.list)
        .as("allowed was never refused, not even for a moment")
        .map(ILoggingEvent::getFormattedMessage)
        .noneMatch(line -> line.contains("function:secret-generator"));
    assertThat(table.get("refused"))
        .containsEntry("READY", "False")
        .containsEntry("REASON", "NotAllowed")
        .containsEntry("INVOCATIONS", "0");
  }

  // --- exit status 1 -----------------------------------------------------------------------------

  @Test
  void anUnmetExpectationExitsOneAndStillPrintsTheReport(@TempDir Path dir) throws IOException {
    Path manifest =
        write(
            dir,
            "succeeds.yaml",
            invocation(
                "expected-to-fail",
                "default",
                "secret-generator",
                "",
                Map.of(Expectation.ANNOTATION, "FunctionError")));

    Run run = sandbox("-f", manifest.toString(), "--timeout", "5s");

    assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
    assertThat(table(run.out()).get("expected-to-fail"))
        .containsEntry("READY", "True")
        .containsEntry("REASON", "Invoked");
    assertThat(run.err()).doesNotContain("\tat ");
  }

  // --- manifests as kubectl reads them ----------------------------------------------------------

  /**
   * Inputs kubectl or an API server refuses, each with the one line the sandbox answers; the
   * function is never called.
   */
  static Stream<Arguments> refusedManifests() {
    return Stream.of(
        refused(
            "YAML nested 10,001 levels",
            dir -> write(dir, "deep.yaml", deepInvocationYaml(ClusterValues.MAX_DEPTH + 1)),
            file ->
                file
                    + ": document 1 is nested more than 10000 levels deep at line 7, deeper than a"
                    + " Kubernetes API server accepts"),
        refused(
            "JSON nested 10,001 levels",
            dir -> write(dir, "deep.json", deepInvocationJson(ClusterValues.MAX_DEPTH + 1)),
            file ->
                file
                    + ": document 1 is nested more than 10000 levels deep at line 1, deeper than a"
                    + " Kubernetes API server accepts"),
        refused(
            "payload: null",
            dir ->
                write(dir, "null.yaml", invocationWithPayload("null-payload", "  payload: null\n")),
            file ->
                "LambdaInvocation default/null-payload is invalid: spec.payload: required (any"
                    + " JSON value)"),
        refused(
            "YAML .inf",
            dir ->
                write(
                    dir, "inf.yaml", invocationWithPayload("inf", "  payload:\n    ratio: .inf\n")),
            file -> nonFinite(file, "spec.payload.ratio")),
        refused(
            "YAML -.inf",
            dir ->
                write(
                    dir,
                    "minus-inf.yaml",
                    invocationWithPayload("minus-inf", "  payload:\n    ratio: -.Inf\n")),
            file -> nonFinite(file, "spec.payload.ratio")),
        refused(
            "YAML .nan in a list",
            dir ->
                write(
                    dir,
                    "nan.yaml",
                    invocationWithPayload("nan", "  payload:\n    points: [1, .NaN]\n")),
            file -> nonFinite(file, "spec.payload.points[1]")),
        refused(
            "JSON 1e400",
            dir ->
                write(
                    dir,
                    "huge.json",
                    "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\",\"kind\":\"LambdaInvocation\","
                        + "\"metadata\":{\"name\":\"huge\"},\"spec\":{\"functionName\":\"echo\","
                        + "\"payload\":{\"ratio\":1e400}}}"),
            file -> nonFinite(file, "spec.payload.ratio")),
        refused(
            "YAML key written twice",
            dir ->
                write(
                    dir,
                    "twice.yaml",
                    invocationWithPayload("twice", "  payload: {}\n  functionName: other\n")),
            file ->
                file
                    + ": document 1 at line 8: mapping key \"functionName\" already defined at line"
                    + " 6 (kubectl refuses a manifest that repeats a key)"),
        refused(
            "unknown kind",
            dir ->
                write(
                    dir,
                    "widget.yaml",
                    invocationWithPayload("fine", "  payload: {}\n")
                        + "---\napiVersion: example.com/v1\nkind: Widget\n"
                        + "metadata: {name: w, namespace: hostile}\n"),
            file ->
                "cannot apply Widget hostile/w: unknown kind Widget with apiVersion example.com/v1;"
                    + " the sandbox knows only the built-in Kubernetes kinds and LambdaInvocation"
                    + " (lambda.ephemeral.dev/v1alpha1)"),
        refused(
            "LambdaInvocation of an unknown apiVersion",
            dir ->
                write(
                    dir,
                    "v1beta1.yaml",
                    invocationWithPayload("fine", "  payload: {}\n")
                        + "---\n"
                        + invocationWithPayload("beta", "  payload: {}\n")
                            .replace("/v1alpha1", "/v1beta1")),
            file ->
                "cannot apply LambdaInvocation default/beta: unknown apiVersion"
                    + " lambda.ephemeral.dev/v1beta1 for kind LambdaInvocation; the sandbox serves"
                    + " LambdaInvocation as lambda.ephemeral.dev/v1alpha1"),
        refused(
            "kind in the wrong case",
            dir ->
                write(
                    dir,
                    "case.yaml",
                    invocationWithPayload("fine", "  payload: {}\n")
                        + "---\n"
                        + invocationWithPayload("lower", "  payload: {}\n")
                            .replace("kind: LambdaInvocation", "kind: Lambdainvocation")),
            file ->
                "cannot apply Lambdainvocation default/lower: unknown kind Lambdainvocation with"
                    + " apiVersion lambda.ephemeral.dev/v1alpha1; kinds are case-sensitive: did you"
                    + " mean LambdaInvocation?"),
        refused(
            "built-in kind of an unknown apiVersion",
            dir ->
                write(
                    dir,
                    "apps-v2.yaml",
                    invocationWithPayload("fine", "  payload: {}\n")
                        + "---\napiVersion: apps/v2\nkind: Deployment\nmetadata: {name: web}\n"),
            file ->
                "cannot apply Deployment default/web: unknown apiVersion apps/v2 for kind"
                    + " Deployment; the sandbox serves Deployment as apps/v1"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedManifests")
  void aRefusedManifestExitsTwoWithItsOneLineAndInvokesNothing(
      String description,
      Function<Path, Path> manifest,
      Function<Path, String> expected,
      @TempDir Path dir) {
    try (LambdaEmulator external = LambdaEmulator.start("127.0.0.1", 0)) {
      external.function("echo", SandboxCommandTest::echo);
      Path file = manifest.apply(dir);

      Run run =
          sandbox(
              "-f",
              file.toString(),
              "--timeout",
              "10s",
              "--lambda-endpoint",
              external.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isEqualTo(2);
      assertThat(run.out()).as("no report on bad input").isEmpty();
      assertThat(run.err())
          .as(run.describe())
          .isEqualTo("lambda-invocation-sandbox: " + expected.apply(file) + "\n");
      assertThat(external.invocations()).isEmpty();
    }
  }

  @Test
  void aPayloadNestedAThousandLevelsIsInvoked(@TempDir Path dir) throws IOException {
    // Jackson stops at 1,000 levels by default; an API server takes 10,000.
    int levels = 1000;
    String nested = "[".repeat(levels) + "]".repeat(levels);
    Path yaml = write(dir, "deep.yaml", invocationWithPayload("deep-yaml", "  payload: " + nested));
    Path json =
        write(
            dir,
            "deep.json",
            "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\",\"kind\":\"LambdaInvocation\","
                + "\"metadata\":{\"name\":\"deep-json\"},\"spec\":{\"functionName\":\"echo\","
                + "\"payload\":"
                + nested
                + "}}");
    try (LambdaEmulator external = LambdaEmulator.start("127.0.0.1", 0)) {
      external.function("echo", SandboxCommandTest::echo);

      Run run =
          sandbox(
              "-f",
              yaml.toString(),
              "-f",
              json.toString(),
              "--timeout",
              "30s",
              "--lambda-endpoint",
              external.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isZero();
      Map<String, Map<String, String>> table = table(run.out());
      for (String name : List.of("deep-yaml", "deep-json")) {
        assertThat(table.get(name))
            .containsEntry("REASON", "Invoked")
            .containsEntry("INVOCATIONS", "1");
      }
      assertThat(external.invocations())
          .hasSize(2)
          .allSatisfy(
              i -> assertThat(new String(i.body(), StandardCharsets.UTF_8)).isEqualTo(nested));
      assertThat(run.err()).doesNotContain("\tat ");
    }
  }

  @Test
  void yamlIsReadAsKubectlReadsIt(@TempDir Path dir) {
    Path manifest =
        write(
            dir,
            "yaml11.yaml",
            invocationWithPayload(
                "yaml11",
                """
                  payload:
                    enabled: yes
                    legacy: off
                    answer: n
                    quoted: "yes"
                    on: key
                    mode: 0777
                    hex: 0x1F
                    nothing: ~
                    date: 2001-12-14
                    when: 2001-12-14T21:59:43.10Z
                    ratio: 1.0
                    version: 1.10
                    big: 1e400
                    defaults: &defaults {region: eu-west-1, retries: 3}
                    merged:
                      <<: *defaults
                      retries: 5
                    overridden:
                      retries: 1
                      <<: *defaults
                """));
    try (LambdaEmulator external = LambdaEmulator.start("127.0.0.1", 0)) {
      external.function("echo", SandboxCommandTest::echo);

      Run run =
          sandbox(
              "-f",
              manifest.toString(),
              "--timeout",
              "20s",
              "--lambda-endpoint",
              external.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(table(run.out()).get("yaml11")).containsEntry("INVOCATIONS", "1");
      // What the function receives, byte for byte, as from a cluster after kubectl apply: YAML 1.1
      // booleans (a key too), octal, ~ as null, timestamps and an out-of-range float kept as text,
      // 1.0 as 1, merge keys in go-yaml v2's order (a key before << is overwritten), keys sorted.
      assertThat(new String(external.invocations().get(0).body(), StandardCharsets.UTF_8))
          .isEqualTo(
              "{\"answer\":false,\"big\":\"1e400\",\"date\":\"2001-12-14\","
                  + "\"defaults\":{\"region\":\"eu-west-1\",\"retries\":3},\"enabled\":true,"
                  + "\"hex\":31,\"legacy\":false,"
                  + "\"merged\":{\"region\":\"eu-west-1\",\"retries\":5},\"mode\":511,"
                  + "\"nothing\":null,\"overridden\":{\"region\":\"eu-west-1\",\"retries\":3},"
                  + "\"quoted\":\"yes\",\"ratio\":1,\"true\":\"key\",\"version\":1.1,"
                  + "\"when\":\"2001-12-14T21:59:43.10Z\"}");
    }
  }

  @Test
  void anInvocationTooLargeForACleanClusterRunsWithOneWarning(@TempDir Path dir) {
    int textBytes = ClusterFit.MAX_STORED_OBJECT_BYTES;
    Path manifest =
        write(
            dir,
            "large.yaml",
            invocationWithPayload("large", "  payload:\n    blob: " + "a".repeat(textBytes) + "\n")
                + "---\n"
                + invocationWithPayload("small", "  payload: {}\n"));
    try (LambdaEmulator external = LambdaEmulator.start("127.0.0.1", 0)) {
      external.function("echo", call -> FunctionOutcome.json(Map.of("ok", true)));

      Run run =
          sandbox(
              "-f",
              manifest.toString(),
              "--timeout",
              "30s",
              "--lambda-endpoint",
              external.endpoint().toString());

      assertThat(run.exitCode()).as(run.describe()).isZero();
      Map<String, Map<String, String>> table = table(run.out());
      assertThat(table.get("large"))
          .containsEntry("REASON", "Invoked")
          .containsEntry("INVOCATIONS", "1");
      assertThat(table.get("small")).containsEntry("INVOCATIONS", "1");
      List<String> lines = run.err().lines().toList();
      assertThat(lines).as(run.err()).hasSize(1);
      // The payload is the text and its quotes and key: {"blob":"aaa..."}.
      int payloadBytes = textBytes + "{\"blob\":\"\"}".length();
      assertThat(lines.get(0))
          .matches(
              "lambda-invocation-sandbox: warning: LambdaInvocation default/large is [0-9]+ bytes"
                  + " as JSON \\(its payload "
                  + payloadBytes
                  + "\\), more than the 1572864 bytes a default cluster stores \\(etcd's limit;"
                  + " the API server reads at most 3145728\\): a cluster would refuse it, the"
                  + " sandbox runs it");
      assertThat(lines.get(0)).doesNotContain("aaaa");
    }
  }

  // --- exit status 2 -----------------------------------------------------------------------------

  static Stream<Arguments> badInputs() {
    return Stream.of(
        bad("unknown option", dir -> args("--bogus"), "Unknown option: '--bogus'"),
        bad(
            "--timeout abc",
            dir -> args("--timeout", "abc"),
            "--timeout",
            "'abc' is not a duration"),
        bad(
            "negative --duration",
            dir -> args("--duration", "-5s"),
            "--duration",
            "'-5s' is not a duration"),
        bad("-o xml", dir -> args("-o", "xml"), "--output", "xml", "table, yaml, json"),
        bad("--log-level LOUD", dir -> args("--log-level", "LOUD"), "--log-level", "LOUD"),
        bad(
            "relative --lambda-endpoint",
            dir -> args("--lambda-endpoint", "localhost"),
            "--lambda-endpoint must be an absolute URL"),
        bad(
            "missing file",
            dir -> args("-f", dir.resolve("missing.yaml").toString()),
            "no such file or directory",
            "missing.yaml"),
        bad(
            "malformed YAML",
            dir ->
                args(
                    "-f",
                    write(
                            dir,
                            "malformed.yaml",
                            """
                            apiVersion: v1
                            kind: ConfigMap
                            metadata: {name: broken
                            data: [
                            """)
                        .toString()),
            "malformed.yaml",
            "is not valid YAML"),
        bad(
            "document without kind",
            dir ->
                args(
                    "-f",
                    write(
                            dir,
                            "nokind.yaml",
                            """
                            apiVersion: v1
                            metadata:
                              name: nameless-kind
                            """)
                        .toString()),
            "nokind.yaml",
            "document 1",
            "has no kind"),
        bad(
            "document without name",
            dir ->
                args(
                    "-f",
                    write(
                            dir,
                            "noname.yaml",
                            """
                            apiVersion: v1
                            kind: ConfigMap
                            metadata:
                              namespace: demo
                            """)
                        .toString()),
            "noname.yaml",
            "has no metadata.name"),
        bad(
            "invalid spec",
            dir ->
                args(
                    "-f",
                    write(
                            dir,
                            "invalid.yaml",
                            invocation(
                                "too-quick",
                                "default",
                                "secret-generator",
                                """
                                  timeout: 0s
                                """,
                                Map.of()))
                        .toString()),
            "LambdaInvocation default/too-quick is invalid",
            "spec.timeout"),
        bad(
            "policy that does not fit the schema",
            dir ->
                args(
                    "-f",
                    write(
                            dir,
                            "policy.yaml",
                            """
                            apiVersion: lambda.ephemeral.dev/v1alpha1
                            kind: LambdaInvocationPolicy
                            metadata:
                              name: sometimes
                            spec:
                              namespaces: [default]
                              functions:
                              - name: "secret-*"
                              revoke: sometimes
                            ---
                            """
                                + invocation(
                                    "allowed", "default", "secret-generator", "", Map.of()))
                        .toString()),
            "LambdaInvocationPolicy",
            "sometimes does not match the LambdaInvocationPolicy schema: spec.revoke: must be true"
                + " or false"),
        bad(
            "unknown expect reason",
            dir ->
                args(
                    "-f",
                    write(
                            dir,
                            "expect.yaml",
                            invocation(
                                "hopeful",
                                "default",
                                "secret-generator",
                                "",
                                Map.of(Expectation.ANNOTATION, "Exploded")))
                        .toString()),
            Expectation.ANNOTATION,
            "'Exploded'"),
        bad(
            "defined twice",
            dir ->
                args(
                    "-f",
                    write(
                            dir,
                            "twice.yaml",
                            invocation("twin", "default", "secret-generator", "", Map.of())
                                + "---\n"
                                + invocation("twin", "default", "secret-generator", "", Map.of()))
                        .toString()),
            "LambdaInvocation default/twin is defined twice"),
        bad(
            "no LambdaInvocation",
            dir -> {
              Path only = dir.resolve("only-config");
              write(
                  only,
                  "config.yaml",
                  """
                  apiVersion: v1
                  kind: ConfigMap
                  metadata:
                    name: settings
                  data:
                    a: b
                  """);
              return args("-f", only.toString());
            },
            "no LambdaInvocation found in",
            "only-config"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInputExitsTwoWithAOneLineMessage(
      String description,
      Function<Path, String[]> arguments,
      List<String> expected,
      @TempDir Path dir) {
    Run run = sandbox(arguments.apply(dir));

    assertThat(run.exitCode()).as(run.describe()).isEqualTo(2);
    assertThat(run.out()).as("no report on bad input").isEmpty();
    assertThat(run.err()).doesNotContain("\tat ").doesNotContain("Exception");
    List<String> lines = run.err().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).as(run.err()).isNotEmpty();
    assertThat(lines.get(0)).contains(expected);
    assertThat(lines.get(0)).startsWith("lambda-invocation-sandbox: ");
    if (lines.size() > 1) {
      // An argument error: the message, then one pointer to the help.
      assertThat(lines).as(run.err()).hasSize(2);
      assertThat(lines.get(1)).isEqualTo("Try 'lambda-invocation-sandbox --help' for the options.");
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  record Run(int exitCode, String out, String err) {
    String describe() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /**
   * Runs the sandbox with {@code args} as main does, without System.exit, in an empty environment:
   * what the developer's shell exports (AWS_ENDPOINT_URL, WATCH_NAMESPACES...) stays out.
   */
  private static Run sandbox(String... args) {
    return sandbox(Map.of(), args);
  }

  private static Run sandbox(Map<String, String> environment, String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    int exitCode =
        SandboxMain.commandLine(environment)
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  /**
   * The table's rows by NAME; columns are separated by at least two spaces (headers hold single
   * ones).
   */
  private static Map<String, Map<String, String>> table(String out) {
    List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).as(out).isNotEmpty();
    String[] headers = lines.get(0).trim().split("\\s{2,}");
    assertThat(headers)
        .containsExactly(
            "NAME",
            "READY",
            "REASON",
            "STATUS CODE",
            "EXECUTED VERSION",
            "SECRET",
            "KEYS",
            "INVOCATIONS");
    Map<String, Map<String, String>> rows = new LinkedHashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.trim().split("\\s{2,}");
      assertThat(cells).as(line).hasSameSizeAs(headers);
      Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < headers.length; i++) {
        row.put(headers[i], cells[i]);
      }
      rows.put(cells[0], row);
    }
    return rows;
  }

  /** A LambdaInvocation manifest; {@code extraSpec} is YAML indented by two spaces, under spec. */
  private static String invocation(
      String name,
      String namespace,
      String functionName,
      String extraSpec,
      Map<String, String> annotations) {
    StringBuilder yaml =
        new StringBuilder()
            .append("apiVersion: lambda.ephemeral.dev/v1alpha1\n")
            .append("kind: LambdaInvocation\n")
            .append("metadata:\n")
            .append("  name: ")
            .append(name)
            .append('\n')
            .append("  namespace: ")
            .append(namespace)
            .append('\n');
    if (!annotations.isEmpty()) {
      yaml.append("  annotations:\n");
      annotations.forEach(
          (k, v) -> yaml.append("    ").append(k).append(": ").append(v).append('\n'));
    }
    yaml.append("spec:\n")
        .append("  functionName: ")
        .append(functionName)
        .append('\n')
        .append("  payload:\n")
        .append("    count: 1\n");
    List<String> extra = extraSpec.lines().filter(l -> !l.isBlank()).toList();
    int indent =
        extra.stream().mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    extra.forEach(line -> yaml.append("  ").append(line.substring(indent)).append('\n'));
    return yaml.toString();
  }

  /** A LambdaInvocation of the function {@code echo}; {@code payloadYaml} is its payload field. */
  private static String invocationWithPayload(String name, String payloadYaml) {
    return "apiVersion: lambda.ephemeral.dev/v1alpha1\n"
        + "kind: LambdaInvocation\n"
        + "metadata:\n"
        + "  name: "
        + name
        + "\n"
        + "spec:\n"
        + "  functionName: echo\n"
        + payloadYaml.stripTrailing()
        + "\n";
  }

  /** A LambdaInvocation {@code depth} levels deep in all, its payload on line 7. */
  private static String deepInvocationYaml(int depth) {
    int arrays = depth - 2;
    return invocationWithPayload("deep", "  payload: " + "[".repeat(arrays) + "]".repeat(arrays));
  }

  private static String deepInvocationJson(int depth) {
    int arrays = depth - 2;
    return "{\"apiVersion\":\"lambda.ephemeral.dev/v1alpha1\",\"kind\":\"LambdaInvocation\","
        + "\"metadata\":{\"name\":\"deep\"},\"spec\":{\"functionName\":\"echo\",\"payload\":"
        + "[".repeat(arrays)
        + "]".repeat(arrays)
        + "}}";
  }

  private static String nonFinite(Path file, String field) {
    return file
        + ": document 1: "
        + field
        + " is not a finite number (infinity or NaN), which JSON cannot carry and kubectl refuses";
  }

  private static Arguments refused(
      String description, Function<Path, Path> manifest, Function<Path, String> expected) {
    return Arguments.of(description, manifest, expected);
  }

  /** A function that answers with the payload it was sent. */
  private static FunctionOutcome echo(FunctionCall call) {
    return FunctionOutcome.result(call.payload());
  }

  /** One file of {@code count} LambdaInvocations of the function {@code slow}. */
  private static Path slowInvocations(Path dir, int count) {
    return write(
        dir,
        "slow.yaml",
        IntStream.rangeClosed(1, count)
            .mapToObj(i -> invocation("slow-" + i, "default", "slow", "", Map.of()))
            .collect(Collectors.joining("---\n")));
  }

  /** A function that takes {@code hold} to answer and counts how many calls it serves at once. */
  private static final class SlowFunction implements LambdaFunction {
    private final Duration hold;
    private final AtomicInteger atOnce = new AtomicInteger();
    private final AtomicInteger most = new AtomicInteger();

    SlowFunction(Duration hold) {
      this.hold = hold;
    }

    @Override
    public FunctionOutcome handle(FunctionCall call) {
      most.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
      try {
        Thread.sleep(hold.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        atOnce.decrementAndGet();
      }
      return FunctionOutcome.json(Map.of("ok", true));
    }

    int mostAtOnce() {
      return most.get();
    }
  }

  /** A log event's message followed by its key-value pairs. */
  private static String withKeyValues(ILoggingEvent event) {
    return event.getFormattedMessage()
        + (event.getKeyValuePairs() == null ? "" : " " + event.getKeyValuePairs());
  }

  private static Path write(Path dir, String fileName, String content) {
    try {
      Files.createDirectories(dir);
      return Files.writeString(dir.resolve(fileName), content);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Arguments bad(
      String description, Function<Path, String[]> arguments, String... expected) {
    return Arguments.of(description, arguments, List.of(expected));
  }

  private static String[] args(String... args) {
    return args;
  }

  /** The List's items of one kind, by metadata.name. */
  private static Map<String, JsonNode> items(JsonNode list, String kind) {
    assertThat(list.path("items").isArray()).as("items is an array").isTrue();
    List<JsonNode> matching = new ArrayList<>();
    list.path("items")
        .forEach(
            item -> {
              if (kind.equals(item.path("kind").asText())) {
                matching.add(item);
              }
            });
    Map<String, JsonNode> byName =
        matching.stream()
            .collect(
                Collectors.toMap(
                    i -> i.at("/metadata/name").asText(), i -> i, (a, b) -> a, LinkedHashMap::new));
    assertThat(byName.size())
        .as("names of the " + kind + " items are unique")
        .isEqualTo(matching.size());
    return byName;
  }

  private static JsonNode readyCondition(JsonNode invocation) {
    return StreamSupport.stream(invocation.at("/status/conditions").spliterator(), false)
        .filter(c -> "Ready".equals(c.path("type").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Ready condition in " + invocation));
  }

  private static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new TreeSet<>();
    Iterator<String> it = node.fieldNames();
    it.forEachRemaining(names::add);
    return names;
  }

  private static boolean decodes(String base64) {
    try {
      Base64.getDecoder().decode(base64);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String decode(JsonNode base64) {
    assertThat(base64.isTextual()).as("base64 text").isTrue();
    return new String(Base64.getDecoder().decode(base64.asText()), StandardCharsets.UTF_8);
  }
}
