package dev.ephemeral.lambda.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's Java runtime without a Docker engine, after {@code mvn package}: the JDK modules the
 * Dockerfile links ({@link #MODULES}, the file its jlink step reads) hold every module jdeps finds
 * in the operator's jar, and a runtime jlinked from exactly those modules, by this JDK, starts the
 * jar with the image's JVM flags. So a module missing from the image fails here, not on a cluster.
 */
class JlinkRuntimeIT {

  static final Path MODULES = Path.of("src", "main", "jlink", "modules.txt");

  private static final Path OPERATOR_JAR = Path.of("target", Pom.read().jarName());
  private static final Path RUNTIME = Path.of("target", "jlink-runtime");

  @Test
  void moduleListHoldsEveryModuleJdepsFindsInTheJar() {
    Map<String, String> listed = modules();
    String found =
        run(
                "jdeps",
                "--print-module-deps",
                "--ignore-missing-deps",
                "--multi-release",
                String.valueOf(Pom.read().javaRelease()),
                OPERATOR_JAR.toString())
            .strip();
    Set<String> needed = new TreeSet<>(Arrays.asList(found.split(",")));
    assertThat(needed).as("jdeps on " + OPERATOR_JAR).contains("java.base").hasSizeGreaterThan(1);
    assertThat(listed.keySet())
        .as("the modules jdeps finds in the jar; add them to " + MODULES)
        .containsAll(needed);
    listed.forEach(
        (module, why) -> {
          if (!needed.contains(module)) {
            assertThat(why)
                .as(MODULES + ": " + module + " is not found by jdeps: say why in a comment")
                .isNotBlank();
          }
        });
  }

  @Test
  void jarStartsOnARuntimeOfTheListedModulesOnly(@TempDir Path dir) throws Exception {
    deleteRecursively(RUNTIME);
    try {
      run(
          "jlink",
          "--add-modules",
          String.join(",", modules().keySet()),
          "--strip-debug",
          "--no-header-files",
          "--no-man-pages",
          "--output",
          RUNTIME.toString());
    } catch (AssertionError e) {
      Path jmods = Path.of(System.getProperty("java.home"), "jmods");
      if (Files.isDirectory(jmods)) {
        throw e;
      }
      throw new AssertionError(
          e.getMessage()
              + "\nThis JDK has no "
              + jmods
              + ", which jlink links from (on Debian and Ubuntu the openjdk-17-jdk-headless"
              + " package brings them)",
          e);
    }
    List<String> linked =
        Files.readAllLines(RUNTIME.resolve("release")).stream()
            .filter(l -> l.startsWith("MODULES="))
            .flatMap(l -> Stream.of(l.substring(8).replace("\"", "").split(" ")))
            .toList();
    assertThat(linked)
        .as("the runtime's modules: the listed ones and what they require, not the whole JDK")
        .containsAll(modules().keySet())
        .doesNotContain("java.se", "jdk.compiler", "jdk.jshell");

    // The image's ENTRYPOINT, its java and jar replaced by these, with --version: it prints the
    // version and exits 0 only when the JVM flags and the jar's main class load on the runtime.
    List<String> command = new ArrayList<>();
    List<String> entrypoint =
        Dockerfile.read().finalStage().last("ENTRYPOINT").orElseThrow().execForm();
    command.add(RUNTIME.resolve("bin").resolve("java").toString());
    for (String arg : entrypoint.subList(1, entrypoint.size())) {
      command.add(arg.endsWith(".jar") ? OPERATOR_JAR.toString() : arg);
    }
    command.add("--version");
    var builder = new ProcessBuilder(command);
    builder.environment().clear();
    Path out = dir.resolve("stdout");
    Path err = dir.resolve("stderr");
    builder.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process process = builder.start();
    if (!process.waitFor(1, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("the jar did not exit within a minute on " + RUNTIME);
    }
    String describe =
        command + "\n--- stdout\n" + Files.readString(out) + "--- stderr\n" + Files.readString(err);
    assertThat(process.exitValue()).as(describe).isZero();
    assertThat(Files.readString(out))
        .as(describe)
        .startsWith("lambda-invocation-operator " + Pom.read().resolve("${project.version}") + "\n");
  }

  /** The modules of {@link #MODULES}, in order, each with its comment ("" when it has none). */
  static Map<String, String> modules() {
    Map<String, String> modules = new LinkedHashMap<>();
    for (String line : DeployFiles.read(MODULES).lines().toList()) {
      int hash = line.indexOf('#');
      String module = (hash < 0 ? line : line.substring(0, hash)).strip();
      if (!module.isEmpty()) {
        assertThat(module).as(MODULES + ": a module name").matches("[a-z][a-z0-9]*(\\.[a-z0-9]+)*");
        modules.put(module, hash < 0 ? "" : line.substring(hash + 1).strip());
      }
    }
    return modules;
  }

  /** Runs a JDK tool in this JVM; its output, or an AssertionError with what it printed. */
  private static String run(String tool, String... args) {
    ToolProvider provider =
        ToolProvider.findFirst(tool)
            .orElseThrow(() -> new AssertionError("this JDK has no " + tool));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = provider.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    if (status != 0) {
      throw new AssertionError(
          tool + " " + String.join(" ", args) + " exited " + status + ":\n" + out + err);
    }
    return out.toString();
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
