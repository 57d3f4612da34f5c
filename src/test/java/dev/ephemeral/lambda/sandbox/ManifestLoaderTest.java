package dev.ephemeral.lambda.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The depth limit at its edge, in YAML (block and flow) and JSON: a Kubernetes API server decodes
 * 10,000 levels of nesting and refuses 10,001. Read on the test's own thread, with its default
 * stack: the readers do not recurse.
 */
class ManifestLoaderTest {

  /** The object, its spec and the payload's root are three levels; the rest is the payload. */
  private static final int WRAPPING_LEVELS = 3;

  /**
   * As kubectl apply -f without -R: a directory contributes its own manifests, sorted, and not
   * those of its subdirectories (examples/policies/ runs only when named).
   */
  @Test
  void aDirectoryContributesItsOwnManifestsOnly(@TempDir Path dir) throws Exception {
    write(dir, "b.yaml", configMap("second"));
    write(
        dir,
        "a.json",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"first\"}}");
    write(dir, "notes.txt", configMap("not-a-manifest"));
    Files.createDirectories(dir.resolve("policies"));
    write(dir.resolve("policies"), "policy.yaml", configMap("nested"));

    List<GenericKubernetesResource> objects = new ManifestLoader().load(List.of(dir));

    assertThat(objects)
        .extracting(o -> o.getMetadata().getName())
        .containsExactly("first", "second");
    assertThat(new ManifestLoader().load(List.of(dir.resolve("policies"))))
        .extracting(o -> o.getMetadata().getName())
        .containsExactly("nested");
  }

  private static String configMap(String name) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n";
  }

  @Test
  void aYamlFileNestedTenThousandLevelsIsRead(@TempDir Path dir) throws Exception {
    Path flow = write(dir, "flow.yaml", yamlFlow(ClusterValues.MAX_DEPTH));
    Path block = write(dir, "block.yaml", yamlBlock(ClusterValues.MAX_DEPTH));

    List<GenericKubernetesResource> objects = new ManifestLoader().load(List.of(flow, block));

    assertThat(objects).hasSize(2);
    assertThat(objects).allSatisfy(o -> assertThat(o.getMetadata().getName()).isEqualTo("deep"));
  }

  @Test
  void aJsonFileNestedTenThousandLevelsIsRead(@TempDir Path dir) throws Exception {
    Path json = write(dir, "deep.json", json(ClusterValues.MAX_DEPTH));

    assertThat(new ManifestLoader().load(List.of(json))).hasSize(1);
  }

  @Test
  void oneLevelMoreIsRefusedInOneLine(@TempDir Path dir) throws IOException {
    int depth = ClusterValues.MAX_DEPTH + 1;
    for (Path file :
        List.of(
            write(dir, "flow.yaml", yamlFlow(depth)),
            write(dir, "block.yaml", yamlBlock(depth)),
            write(dir, "deep.json", json(depth)))) {
      assertThatExceptionOfType(ManifestException.class)
          .isThrownBy(() -> new ManifestLoader().load(List.of(file)))
          .satisfies(
              e ->
                  assertThat(e.getMessage())
                      .startsWith(
                          file + ": document 1 is nested more than 10000 levels deep at line ")
                      .endsWith(", deeper than a Kubernetes API server accepts")
                      .doesNotContain("\n"));
    }
  }

  @Test
  void aliasesThatNestDeeperThanTheLimitAreRefused(@TempDir Path dir) throws IOException {
    // Each level is within the limit as written; expanding the alias puts it twice as deep.
    int half = ClusterValues.MAX_DEPTH / 2 + 1;
    String deep = "{a: ".repeat(half) + "1" + "}".repeat(half);
    Path file =
        write(
            dir,
            "aliases.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: &deep "
                + deep
                + "\ny: "
                + "[".repeat(half - 2)
                + "*deep"
                + "]".repeat(half - 2)
                + "\n");

    assertThatExceptionOfType(ManifestException.class)
        .isThrownBy(() -> new ManifestLoader().load(List.of(file)))
        .withMessage(
            file
                + ": document 1 is nested more than 10000 levels deep, deeper than a Kubernetes"
                + " API server accepts");
  }

  /**
   * kubectl refuses a YAML mapping that writes a key twice ("mapping key already defined"), where
   * a plain YAML reader keeps the last value: the sandbox refuses it at load, naming both lines.
   */
  @Test
  void aYamlKeyWrittenTwiceIsRefusedWithItsLines(@TempDir Path dir) throws IOException {
    Path file =
        write(
            dir,
            "twice.yaml",
            configMap("first")
                + "---\n"
                + configMap("second")
                + "data:\n  mode: fast\n  other: x\n  \"mode\": slow\n");

    assertThatExceptionOfType(ManifestException.class)
        .isThrownBy(() -> new ManifestLoader().load(List.of(file)))
        .withMessage(
            file
                + ": document 2 at line 13: mapping key \"mode\" already defined at line 11"
                + " (kubectl refuses a manifest that repeats a key)");
  }

  /** Keys are compared as written, and keys a merge key brings in may be overridden. */
  @Test
  void keysThatOnlyDecodeAlikeOrComeFromAMergeAreRead(@TempDir Path dir) throws Exception {
    Path file =
        write(
            dir,
            "alike.yaml",
            configMap("alike")
                + "defaults: &defaults {mode: fast}\n"
                + "data:\n  <<: *defaults\n  mode: slow\n  on: a\n  \"true\": b\n");

    GenericKubernetesResource object = new ManifestLoader().load(List.of(file)).get(0);

    assertThat(object.getAdditionalProperties().get("data"))
        .isEqualTo(java.util.Map.of("mode", "slow", "true", "b"));
  }

  /** An API server's strict field validation, kubectl's default, refuses a duplicate JSON field. */
  @Test
  void aJsonKeyWrittenTwiceIsRefusedWithItsLine(@TempDir Path dir) throws IOException {
    Path file =
        write(
            dir,
            "twice.json",
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\n"
                + "\"data\":{\"mode\":\"fast\",\n\"mode\":\"slow\"}}");

    assertThatExceptionOfType(ManifestException.class)
        .isThrownBy(() -> new ManifestLoader().load(List.of(file)))
        .withMessage(
            file
                + ": document 1 at line 3: duplicate key \"mode\" (kubectl refuses a manifest that"
                + " repeats a key)");
  }

  private static String header() {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n";
  }

  /** A document {@code depth} levels deep in all, in flow style. */
  private static String yamlFlow(int depth) {
    int payload = depth - WRAPPING_LEVELS;
    return header()
        + "spec:\n  payload: "
        + "{a: ".repeat(payload + 1)
        + "1"
        + "}".repeat(payload + 1)
        + "\n";
  }

  /**
   * A document {@code depth} levels deep in all: its first levels in block style (one indent each),
   * the rest in flow style, as a block of 10,000 indents would be a 50 MB file.
   */
  private static String yamlBlock(int depth) {
    StringBuilder yaml = new StringBuilder(header()).append("spec:\n");
    int blockLevels = 50;
    for (int level = 1; level < blockLevels; level++) {
      yaml.append(" ".repeat(level)).append("a:\n");
    }
    int flowLevels = depth - blockLevels - 1;
    return yaml.append(" ".repeat(blockLevels))
        .append("a: ")
        .append("[".repeat(flowLevels))
        .append("]".repeat(flowLevels))
        .append('\n')
        .toString();
  }

  private static String json(int depth) {
    int payload = depth - WRAPPING_LEVELS;
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"deep\"},"
        + "\"spec\":{\"payload\":"
        + "[".repeat(payload + 1)
        + "]".repeat(payload + 1)
        + "}}";
  }

  private static Path write(Path dir, String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }
}
