package dev.ephemeral.lambda.argocd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LoadState;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.jse.JseBaseLib;
import org.luaj.vm2.lib.jse.JseOsLib;

/**
 * Runs the Argo CD resource action "invoke-now" (deploy/argocd/actions/) the way Argo CD does: the
 * live object in the global {@code obj}, the base, package and table libraries, and Argo CD's safe
 * {@code os} library (date and time only). The discovery script lists the action; the action sets
 * the annotation whose new value the operator takes as a request to invoke again.
 */
class ArgoCdInvokeNowActionTest {

  private static final Path DIR = Path.of("deploy", "argocd");
  private static final Path DISCOVERY = DIR.resolve("actions/discovery.lua");
  private static final Path ACTION = DIR.resolve("actions/invoke-now/action.lua");
  private static final String CONFIG_MAP_KEY =
      "resource.customizations.actions.lambda.ephemeral.dev_LambdaInvocation";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @BeforeAll
  static void noStringMetatableLeftOver() {
    LuaString.s_metatable = null;
  }

  @Test
  void discoveryOffersInvokeNowEnabled() throws IOException {
    LuaValue actions = run(read(DISCOVERY), object(false, false));

    assertThat(actions.get("invoke-now").istable()).isTrue();
    assertThat(actions.get("invoke-now").get("disabled").toboolean()).isFalse();
  }

  @Test
  void discoveryDisablesInvokeNowWhileTheResourceIsDeleted() throws IOException {
    LuaValue actions = run(read(DISCOVERY), object(false, true));

    assertThat(actions.get("invoke-now").get("disabled").toboolean()).isTrue();
  }

  @Test
  void invokeNowSetsTheRequestAnnotationToTheCurrentUtcTime() throws IOException {
    Instant before = Instant.now().minusSeconds(1);

    for (boolean hasAnnotations : new boolean[] {false, true}) {
      LuaValue result = run(read(ACTION), object(hasAnnotations, false));

      LuaValue annotations = result.get("metadata").get("annotations");
      String requested =
          annotations.get(LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION).tojstring();
      assertThat(Instant.parse(requested))
          .isBetween(before, Instant.now().plus(Duration.ofSeconds(1)));
      assertThat(requested).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
      if (hasAnnotations) {
        assertThat(annotations.get("team").tojstring()).as("other annotations stay").isEqualTo("a");
      }
      assertThat(result.get("spec").get("functionName").tojstring()).isEqualTo("secret-generator");
    }
  }

  @Test
  void configMapEmbedsTheActionScriptsVerbatim() throws IOException {
    JsonNode configMap = YAML.readTree(DIR.resolve("argocd-cm.yaml").toFile());
    JsonNode actions = YAML.readTree(configMap.path("data").path(CONFIG_MAP_KEY).asText());

    assertThat(actions.path("discovery.lua").asText()).isEqualTo(read(DISCOVERY));
    assertThat(actions.path("definitions")).hasSize(1);
    assertThat(actions.path("definitions").get(0).path("name").asText()).isEqualTo("invoke-now");
    assertThat(actions.path("definitions").get(0).path("action.lua").asText())
        .isEqualTo(read(ACTION));
  }

  private static LuaValue run(String script, LuaTable object) {
    Globals globals = new Globals();
    globals.load(new JseBaseLib());
    globals.load(new PackageLib());
    globals.load(new TableLib());
    globals.load(new JseOsLib());
    // Argo CD's safe os library: date and time, nothing that touches the machine.
    LuaTable os = new LuaTable();
    os.set("date", globals.get("os").get("date"));
    os.set("time", globals.get("os").get("time"));
    globals.set("os", os);
    LoadState.install(globals);
    LuaC.install(globals);
    globals.set("obj", object);
    LuaValue result = globals.load(script, "action").call();
    assertThat(result.istable()).as("the script returns a table").isTrue();
    return result;
  }

  private static LuaTable object(boolean withAnnotations, boolean deleting) {
    LuaTable metadata = new LuaTable();
    metadata.set("name", "api-key");
    metadata.set("namespace", "shop");
    if (withAnnotations) {
      LuaTable annotations = new LuaTable();
      annotations.set("team", "a");
      metadata.set("annotations", annotations);
    }
    if (deleting) {
      metadata.set("deletionTimestamp", "2026-12-01T00:00:00Z");
    }
    LuaTable spec = new LuaTable();
    spec.set("functionName", "secret-generator");
    LuaTable object = new LuaTable();
    object.set("apiVersion", "lambda.ephemeral.dev/v1alpha1");
    object.set("kind", "LambdaInvocation");
    object.set("metadata", metadata);
    object.set("spec", spec);
    return object;
  }

  private static String read(Path path) throws IOException {
    return Files.readString(path, StandardCharsets.UTF_8);
  }
}
