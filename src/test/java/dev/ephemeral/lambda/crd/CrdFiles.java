package dev.ephemeral.lambda.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the CRD lives: generated from the model by src/build/GenerateCrds.java, and committed. */
final class CrdFiles {

  static final String FILE_NAME = "lambdainvocations.lambda.ephemeral.dev-v1.yml";

  /** Written by src/build/GenerateCrds.java in process-classes, before surefire runs. */
  static final Path GENERATED = Path.of("target", "classes", "META-INF", "fabric8", FILE_NAME);

  /** The copy users install (and that deploy/ refers to). */
  static final Path COMMITTED = Path.of("crds", FILE_NAME);

  static final String UPDATE_COMMAND = "cp target/classes/META-INF/fabric8/" + FILE_NAME + " crds/";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private CrdFiles() {}

  static String read(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new AssertionError(
          path
              + " does not exist"
              + (path.equals(GENERATED)
                  ? ": run `mvn process-classes` first (src/build/GenerateCrds.java writes it)"
                  : ": run `mvn process-classes && " + UPDATE_COMMAND + "`"));
    }
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode parse(Path path) {
    try {
      return YAML.readTree(read(path));
    } catch (IOException e) {
      throw new UncheckedIOException(path + " is not YAML", e);
    }
  }

  /** The CRD generated from the current model. */
  static JsonNode generated() {
    return parse(GENERATED);
  }

  /** The single version's openAPIV3Schema. */
  static JsonNode openApiV3Schema(JsonNode crd) {
    JsonNode versions = crd.path("spec").path("versions");
    if (versions.size() != 1) {
      throw new AssertionError("expected exactly one version in the CRD, got " + versions.size());
    }
    return versions.get(0).path("schema").path("openAPIV3Schema");
  }
}
