package dev.ephemeral.lambda.argocd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LoadState;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.jse.JseBaseLib;

/**
 * Runs the Argo CD health check in deploy/argocd/health.lua the way Argo CD does: the live object
 * becomes a Lua table in the global {@code obj}, and the script returns {@code {status=...,
 * message=...}}. Argo CD runs custom health checks without the string and math libraries, so the
 * sandbox here has only the base, package and table libraries, and a script that needs more fails
 * these tests.
 */
class ArgoCdHealthCheckTest {

  private static final Path DIR = Path.of("deploy", "argocd");
  private static final Path SCRIPT = DIR.resolve("health.lua");
  private static final Path TESTS = DIR.resolve("health_test.yaml");
  private static final Path TESTDATA = DIR.resolve("testdata");
  private static final Path CONFIG_MAP = DIR.resolve("argocd-cm.yaml");
  private static final Path APPLICATION = DIR.resolve("application.yaml");
  private static final Path EXAMPLE_APP = DIR.resolve("example-app");
  private static final String CONFIG_MAP_KEY =
      "resource.customizations.health.lambda.ephemeral.dev_LambdaInvocation";
  private static final Set<String> ARGO_CD_HEALTH_STATUSES =
      Set.of("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown");

  /** Ready=False reasons that are Progressing while a retry is pending, Degraded once none is. */
  private static final List<String> RETRIED_REASONS =
      List.of("FunctionError", "Throttled", "InvocationTimeout", "InvocationFailed");

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @BeforeAll
  static void noStringMetatableLeftOver() {
    // luaj keeps the string metatable (what makes ("x"):find(...) work) in a static field that its
    // StringLib sets. Nothing here loads StringLib; clear it in case anything else in this JVM did.
    LuaString.s_metatable = null;
  }

  // ---------------------------------------------------------------------------------------------
  // The cases of health_test.yaml
  // ---------------------------------------------------------------------------------------------

  @TestFactory
  Stream<DynamicTest> everyCaseOfHealthTestYaml() throws IOException {
    String script = read(SCRIPT);
    List<JsonNode> cases = cases();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(32);
    return cases.stream()
        .map(
            c -> {
              String inputPath = c.path("inputPath").asText();
              String expectedStatus = c.path("healthStatus").path("status").asText();
              String expectedMessage = c.path("healthStatus").path("message").asText();
              return dynamicTest(
                  inputPath + " -> " + expectedStatus,
                  () -> {
                    JsonNode object = YAML.readTree(DIR.resolve(inputPath).toFile());
                    LuaValue result = runHealthCheck(script, object);
                    assertThat(result.get("status").tojstring())
                        .as("status")
                        .isEqualTo(expectedStatus);
                    assertThat(result.get("message").tojstring())
                        .as("message")
                        .isEqualTo(expectedMessage);
                  });
            });
  }

  @Test
  void healthTestYamlIsLaidOutLikeArgoCdsBuiltInChecks() throws IOException {
    JsonNode root = YAML.readTree(TESTS.toFile());
    assertThat(fieldNames(root)).containsExactly("tests");
    for (JsonNode c : root.get("tests")) {
      assertThat(fieldNames(c)).containsExactlyInAnyOrder("healthStatus", "inputPath");
      assertThat(fieldNames(c.get("healthStatus"))).containsExactlyInAnyOrder("status", "message");
      assertThat(c.get("healthStatus").get("status").asText()).isIn(ARGO_CD_HEALTH_STATUSES);
      assertThat(c.get("healthStatus").get("message").isTextual()).isTrue();
      assertThat(c.get("inputPath").asText()).startsWith("testdata/").endsWith(".yaml");
    }
  }

  @Test
  void casesCoverEveryStatusAndEveryTestdataFile() throws IOException {
    List<JsonNode> cases = cases();
    Set<String> statuses = new TreeSet<>();
    Set<String> referenced = new TreeSet<>();
    for (JsonNode c : cases) {
      statuses.add(c.path("healthStatus").path("status").asText());
      assertThat(referenced.add(c.path("inputPath").asText()))
          .as("each testdata file is used once: %s", c.path("inputPath").asText())
          .isTrue();
    }
    assertThat(statuses)
        .containsExactlyInAnyOrder("Healthy", "Progressing", "Degraded", "Suspended");

    Set<String> present = new TreeSet<>();
    try (Stream<Path> files = Files.list(TESTDATA)) {
      files.forEach(f -> present.add("testdata/" + f.getFileName()));
    }
    assertThat(referenced).isEqualTo(present);

    for (String inputPath : referenced) {
      JsonNode object = YAML.readTree(DIR.resolve(inputPath).toFile());
      assertThat(object.path("apiVersion").asText())
          .as(inputPath)
          .isEqualTo("lambda.ephemeral.dev/v1alpha1");
      assertThat(object.path("kind").asText()).as(inputPath).isEqualTo("LambdaInvocation");
      assertThat(object.path("metadata").path("generation").isIntegralNumber())
          .as(inputPath)
          .isTrue();
      for (JsonNode condition : object.path("status").path("conditions")) {
        // An unquoted True/False in YAML is a boolean, not the string Kubernetes stores.
        assertThat(condition.path("status").isTextual())
            .as(inputPath + " condition status")
            .isTrue();
      }
    }
  }

  @Test
  void everyReasonOfTheDesignHasACase() throws IOException {
    Set<String> reasons = new TreeSet<>();
    for (JsonNode c : cases()) {
      JsonNode object = YAML.readTree(DIR.resolve(c.path("inputPath").asText()).toFile());
      for (JsonNode condition : object.path("status").path("conditions")) {
        reasons.add(condition.path("reason").asText());
      }
    }
    assertThat(reasons)
        .contains(
            "Invoked",
            "InvalidSpec",
            "FunctionError",
            "FunctionNotFound",
            "AccessDenied",
            "KMSAccessDenied",
            "Throttled",
            "InvocationTimeout",
            "InvocationFailed",
            "ResultKeyMissing",
            "ResultTooLarge",
            "SecretConflict",
            "Expired",
            "InputMissing");
  }

  /**
   * FunctionError, Throttled, InvocationTimeout and InvocationFailed are Progressing only while
   * the operator has a retry pending (status.nextRetryTime); without one (retries exhausted, or a
   * failure not retried until the spec changes) they are Degraded, so a sync wave fails instead of
   * hanging; a Throttled resource that Lambda keeps throttling is Stalled while it retries, and
   * Degraded too. The slowly retried reasons carry a nextRetryTime too, and stay Degraded.
   */
  @Test
  void retriedReasonsAreProgressingOnlyWhileARetryIsPending() throws IOException {
    Set<String> retried = Set.copyOf(RETRIED_REASONS);
    Set<String> slow =
        Set.of("FunctionNotFound", "AccessDenied", "KMSAccessDenied", "SecretConflict");
    Set<String> progressingWithRetry = new TreeSet<>();
    Set<String> degradedWithoutRetry = new TreeSet<>();
    Set<String> degradedDespiteRetry = new TreeSet<>();
    Set<String> degradedStalledWhileRetrying = new TreeSet<>();
    for (JsonNode c : cases()) {
      String inputPath = c.path("inputPath").asText();
      String expected = c.path("healthStatus").path("status").asText();
      JsonNode object = YAML.readTree(DIR.resolve(inputPath).toFile());
      JsonNode status = object.path("status");
      if (status.path("observedGeneration").asLong(-1)
          != object.path("metadata").path("generation").asLong()) {
        continue; // a lagging status is Progressing whatever it says
      }
      boolean retryPending = !status.path("nextRetryTime").asText("").isEmpty();
      boolean stalled = false;
      for (JsonNode condition : status.path("conditions")) {
        stalled |=
            "Stalled".equals(condition.path("type").asText())
                && "True".equals(condition.path("status").asText());
      }
      for (JsonNode condition : status.path("conditions")) {
        if (!"Ready".equals(condition.path("type").asText())
            || !"False".equals(condition.path("status").asText())) {
          continue;
        }
        String reason = condition.path("reason").asText();
        if (retried.contains(reason)) {
          assertThat(expected)
              .as(
                  "%s: %s %s nextRetryTime%s",
                  inputPath, reason, retryPending ? "with" : "without", stalled ? ", Stalled" : "")
              .isEqualTo(retryPending && !stalled ? "Progressing" : "Degraded");
          if (!retryPending) {
            degradedWithoutRetry.add(reason);
          } else if (stalled) {
            degradedStalledWhileRetrying.add(reason);
          } else {
            progressingWithRetry.add(reason);
          }
        }
        if (slow.contains(reason) && retryPending) {
          assertThat(expected).as("%s: %s", inputPath, reason).isEqualTo("Degraded");
          degradedDespiteRetry.add(reason);
        }
      }
    }
    assertThat(progressingWithRetry).as("Progressing cases with nextRetryTime").isEqualTo(retried);
    // A throttled call is retried until it runs: never without nextRetryTime, but Stalled (and so
    // Degraded) once Lambda has throttled more calls in a row than there are retries.
    assertThat(degradedWithoutRetry)
        .as("Degraded cases without nextRetryTime")
        .isEqualTo(new TreeSet<>(Set.of("FunctionError", "InvocationTimeout", "InvocationFailed")));
    assertThat(degradedStalledWhileRetrying)
        .as("Degraded while retrying, Stalled")
        .containsExactly("Throttled");
    assertThat(degradedDespiteRetry).as("slow reasons with nextRetryTime").isEqualTo(slow);
  }

  @Test
  void anEmptyNextRetryTimeMeansNoRetryIsPending() throws IOException {
    String script = read(SCRIPT);
    for (String reason : RETRIED_REASONS) {
      for (String nextRetryTime : new String[] {null, "", "2026-11-26T10:00:05Z"}) {
        var object = YAML.createObjectNode();
        var metadata = object.putObject("metadata").put("generation", 2);
        var status = object.putObject("status");
        status.put("observedGeneration", 2);
        if (nextRetryTime != null) {
          status.put("nextRetryTime", nextRetryTime);
        }
        status
            .putArray("conditions")
            .addObject()
            .put("type", "Ready")
            .put("status", "False")
            .put("reason", reason)
            .put("observedGeneration", 2)
            .put("message", "");
        LuaValue result = runHealthCheck(script, object);
        boolean pending = nextRetryTime != null && !nextRetryTime.isEmpty();
        assertThat(result.get("status").tojstring())
            .as("%s, nextRetryTime %s", reason, nextRetryTime)
            .isEqualTo(pending ? "Progressing" : "Degraded");
        assertThat(result.get("message").tojstring()).isEqualTo(reason);

        // A status for an older generation comes first, retry pending or not.
        metadata.put("generation", 3);
        assertThat(runHealthCheck(script, object).get("status").tojstring())
            .isEqualTo("Progressing");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The sandbox: what Argo CD does not offer, the script must not use
  // ---------------------------------------------------------------------------------------------

  @Test
  void scriptUsesNeitherTheStringNorTheMathLibrary() throws IOException {
    String script = read(SCRIPT);
    assertThat(script)
        .doesNotContain("string.")
        .doesNotContain("math.")
        .doesNotContain(":find")
        .doesNotContain(":match")
        .doesNotContain(":sub")
        .doesNotContain(":gsub")
        .doesNotContain(":format")
        .doesNotContain(":lower")
        .doesNotContain(":upper")
        .doesNotContain(":len")
        .doesNotContain("require");
  }

  @Test
  void sandboxLacksTheStringAndMathLibraries() {
    Globals globals = sandbox();
    assertThat(globals.get("string").isnil()).isTrue();
    assertThat(globals.get("math").isnil()).isTrue();
    assertThat(globals.get("table").istable()).isTrue();
    assertThatThrownBy(() -> globals.load("return string.find('abc', 'b')").call())
        .isInstanceOf(LuaError.class);
    assertThatThrownBy(() -> globals.load("return math.floor(1.5)").call())
        .isInstanceOf(LuaError.class);
    assertThatThrownBy(() -> globals.load("local s = 'abc'; return s:sub(1, 1)").call())
        .isInstanceOf(LuaError.class);
    assertThat(globals.load("return tostring(4) .. type({})").call().tojstring())
        .isEqualTo("4table");
  }

  @Test
  void scriptReturnsATableForAnEmptyObject() throws IOException {
    LuaValue result = runHealthCheck(read(SCRIPT), YAML.createObjectNode());
    assertThat(result.get("status").tojstring()).isEqualTo("Progressing");
  }

  // ---------------------------------------------------------------------------------------------
  // Installation: argocd-cm.yaml and the example Application
  // ---------------------------------------------------------------------------------------------

  @Test
  void configMapEmbedsHealthLuaVerbatim() throws IOException {
    JsonNode cm = YAML.readTree(CONFIG_MAP.toFile());
    assertThat(cm.path("apiVersion").asText()).isEqualTo("v1");
    assertThat(cm.path("kind").asText()).isEqualTo("ConfigMap");
    assertThat(cm.path("metadata").path("name").asText()).isEqualTo("argocd-cm");
    JsonNode embedded = cm.path("data").path(CONFIG_MAP_KEY);
    assertThat(embedded.isTextual()).as("data[%s]", CONFIG_MAP_KEY).isTrue();
    assertThat(embedded.asText()).isEqualTo(read(SCRIPT));
  }

  @Test
  void exampleApplicationSyncsTheLambdaInvocationBeforeTheDeployment() throws IOException {
    JsonNode app = YAML.readTree(APPLICATION.toFile());
    assertThat(app.path("apiVersion").asText()).isEqualTo("argoproj.io/v1alpha1");
    assertThat(app.path("kind").asText()).isEqualTo("Application");
    assertThat(Path.of(app.path("spec").path("source").path("path").asText()).normalize())
        .isEqualTo(EXAMPLE_APP.normalize());

    JsonNode invocation = null;
    JsonNode deployment = null;
    JsonNode policy = null;
    try (Stream<Path> files = Files.list(EXAMPLE_APP)) {
      for (Path file : (Iterable<Path>) files.sorted()::iterator) {
        JsonNode object = YAML.readTree(file.toFile());
        switch (object.path("kind").asText()) {
          case "LambdaInvocation" -> invocation = object;
          case "Deployment" -> deployment = object;
          case "LambdaInvocationPolicy" -> policy = object;
          default -> throw new AssertionError("unexpected manifest " + file);
        }
      }
    }
    assertThat(invocation).isNotNull();
    assertThat(deployment).isNotNull();

    assertThat(invocation.path("apiVersion").asText()).isEqualTo("lambda.ephemeral.dev/v1alpha1");
    assertThat(syncWave(invocation)).isEqualTo("-1");
    assertThat(syncWave(deployment)).isEqualTo("0");
    // The operator enforces policies by default and installs none: the app brings the one its
    // LambdaInvocation needs, in an earlier wave, synced even when the CRD is new (no dry run).
    assertThat(policy).as("the example app's LambdaInvocationPolicy").isNotNull();
    assertThat(Integer.parseInt(syncWave(policy)))
        .isLessThan(Integer.parseInt(syncWave(invocation)));
    assertThat(policy.path("metadata").path("annotations").path("argocd.argoproj.io/sync-options")
            .asText())
        .isEqualTo("SkipDryRunOnMissingResource=true");
    assertThat(policy.path("spec").path("namespaces"))
        .extracting(JsonNode::asText)
        .containsExactly(invocation.path("metadata").path("namespace").asText());
    JsonNode spec = invocation.path("spec");
    assertThat(spec.path("functionName").asText()).isEqualTo("secret-generator");
    assertThat(spec.path("payload").path("service").asText()).isEqualTo("api");
    assertThat(spec.path("payload").path("length").asInt()).isEqualTo(32);
    String secretName = spec.path("secret").path("name").asText();
    assertThat(secretName).isEqualTo("api-key");
    assertThat(spec.path("secret").path("keys").path("api_key").asText()).isEqualTo("/api_key");
    assertThat(deployment.path("metadata").path("namespace").asText())
        .isEqualTo(invocation.path("metadata").path("namespace").asText());

    List<JsonNode> refs = new ArrayList<>();
    for (JsonNode container :
        deployment.path("spec").path("template").path("spec").path("containers")) {
      for (JsonNode env : container.path("env")) {
        JsonNode ref = env.path("valueFrom").path("secretKeyRef");
        if (!ref.isMissingNode()) {
          refs.add(ref);
        }
      }
    }
    assertThat(refs)
        .isNotEmpty()
        .allSatisfy(
            ref -> {
              assertThat(ref.path("name").asText()).isEqualTo(secretName);
              assertThat(spec.path("secret").path("keys").has(ref.path("key").asText()))
                  .as("key %s is projected by secret.keys", ref.path("key").asText())
                  .isTrue();
            });
  }

  // ---------------------------------------------------------------------------------------------
  // Running the script as Argo CD does
  // ---------------------------------------------------------------------------------------------

  /**
   * Base, package and table libraries only: Argo CD's sandbox has no string and no math library.
   */
  private static Globals sandbox() {
    Globals globals = new Globals();
    globals.load(new JseBaseLib());
    globals.load(new PackageLib());
    globals.load(new TableLib());
    LoadState.install(globals);
    LuaC.install(globals);
    return globals;
  }

  /** A fresh interpreter per run, {@code obj} bound to the object, the returned table checked. */
  private static LuaValue runHealthCheck(String script, JsonNode object) {
    Globals globals = sandbox();
    globals.set("obj", toLua(object));
    LuaValue result = globals.load(script, "health.lua").call();
    assertThat(result.istable()).as("the script returns a table").isTrue();
    assertThat(result.get("status").isstring()).as("status is a string").isTrue();
    assertThat(result.get("status").tojstring()).isIn(ARGO_CD_HEALTH_STATUSES);
    assertThat(result.get("message").isstring()).as("message is a string").isTrue();
    return result;
  }

  /**
   * Like Argo CD's conversion of an unstructured object: maps become tables with string keys, lists
   * become tables indexed from 1, every number is a Lua number, null is nil.
   */
  private static LuaValue toLua(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return LuaValue.NIL;
    }
    if (node.isObject()) {
      LuaTable table = new LuaTable();
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        LuaValue value = toLua(field.getValue());
        if (!value.isnil()) {
          table.set(field.getKey(), value);
        }
      }
      return table;
    }
    if (node.isArray()) {
      LuaTable table = new LuaTable();
      int i = 1;
      for (JsonNode element : node) {
        table.set(i++, toLua(element));
      }
      return table;
    }
    if (node.isBoolean()) {
      return LuaValue.valueOf(node.booleanValue());
    }
    if (node.isNumber()) {
      return LuaValue.valueOf(node.doubleValue());
    }
    return LuaValue.valueOf(node.asText());
  }

  private static List<JsonNode> cases() throws IOException {
    List<JsonNode> cases = new ArrayList<>();
    YAML.readTree(TESTS.toFile()).path("tests").forEach(cases::add);
    return cases;
  }

  private static String syncWave(JsonNode object) {
    return object
        .path("metadata")
        .path("annotations")
        .path("argocd.argoproj.io/sync-wave")
        .asText(null);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String read(Path path) throws IOException {
    return Files.readString(path, StandardCharsets.UTF_8);
  }
}
