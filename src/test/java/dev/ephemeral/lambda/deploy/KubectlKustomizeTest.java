package dev.ephemeral.lambda.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Where {@code kubectl} (or {@code kustomize}) is installed: the real kustomize renders every
 * variant, with and without each AWS-credentials component, and the example shard, exactly as this
 * test suite's {@link Kustomize} does (so the other tests check what {@code kubectl apply -k}
 * applies). Skipped without the binary.
 */
class KubectlKustomizeTest {

  private static final Path SCRATCH = Path.of("target", "kustomize-test");

  @Test
  void kubectlKustomizeRendersWhatTheTestsCheck() throws Exception {
    List<String> command = kustomizeCommand();
    assumeTrue(!command.isEmpty(), "neither kubectl nor kustomize on the PATH");
    List<String> rendered = new ArrayList<>();
    for (Path variant : DeployManifestsTest.variants().toList()) {
      compare(command, variant, variant, List.of());
      rendered.add(variant.toString());
      for (Path component : DeployManifestsTest.components().toList()) {
        Path overlay = SCRATCH.resolve(variant.getFileName() + "-" + component.getFileName());
        Files.createDirectories(overlay);
        Files.writeString(
            overlay.resolve(DeployFiles.KUSTOMIZATION),
            """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
            - %s
            components:
            - %s
            """
                .formatted(relative(overlay, variant), relative(overlay, component)));
        compare(command, overlay, variant, List.of(component));
        rendered.add(variant + " + " + component);
      }
    }
    // The example shard, applied beside either install.
    for (Path shard : List.of(ShardOverlayTest.BLUE, ShardOverlayTest.BLUE_NAMESPACED)) {
      compare(command, shard, shard, List.of());
      rendered.add(shard.toString());
    }
    assertThat(rendered).hasSizeGreaterThanOrEqualTo(8);
  }

  private static void compare(List<String> command, Path dir, Path variant, List<Path> components)
      throws Exception {
    Map<String, JsonNode> expected = byId(Kustomize.build(variant, components).objects());
    Map<String, JsonNode> actual = byId(run(command, dir));
    assertThat(actual.keySet())
        .as("objects rendered from " + dir)
        .containsExactlyElementsOf(expected.keySet());
    actual.forEach(
        (id, object) -> assertThat(object).as(dir + ": " + id).isEqualTo(expected.get(id)));
  }

  private static Map<String, JsonNode> byId(List<ObjectNode> objects) {
    Map<String, JsonNode> byId = new TreeMap<>();
    objects.forEach(o -> byId.put(DeployFiles.id(o), o));
    return byId;
  }

  private static String relative(Path from, Path to) {
    return from.toAbsolutePath()
        .normalize()
        .relativize(to.toAbsolutePath().normalize())
        .toString()
        .replace(File.separatorChar, '/');
  }

  private static List<ObjectNode> run(List<String> command, Path dir) throws Exception {
    List<String> argv = new ArrayList<>(command);
    argv.add(dir.toString());
    Process process = new ProcessBuilder(argv).redirectErrorStream(false).start();
    byte[] out = process.getInputStream().readAllBytes();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(String.join(" ", argv) + ": " + err).isZero();
    Path rendered = Files.createTempFile("kustomize", ".yaml");
    try {
      Files.write(rendered, out);
      return DeployFiles.documents(rendered);
    } finally {
      Files.deleteIfExists(rendered);
    }
  }

  private static List<String> kustomizeCommand() {
    if (onPath("kubectl").isPresent()) {
      return List.of("kubectl", "kustomize");
    }
    if (onPath("kustomize").isPresent()) {
      return List.of("kustomize", "build");
    }
    return List.of();
  }

  private static Optional<Path> onPath(String binary) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Stream.of(path.split(File.pathSeparator))
        .map(dir -> Path.of(dir, binary))
        .filter(Files::isExecutable)
        .findFirst();
  }
}
