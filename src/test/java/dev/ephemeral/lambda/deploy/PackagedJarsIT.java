package dev.ephemeral.lambda.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.OperatorMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two jars that {@code mvn package} writes, checked after it by failsafe. The operator's jar,
 * the one the image ships, holds none of the sandbox, the Lambda emulator or the mock API server
 * with what only that needs, loses nothing else, and starts OperatorMain. The sandbox's jar runs on
 * its own.
 */
class PackagedJarsIT {

  private static final Path OPERATOR_JAR = Path.of("target", Pom.read().jarName());
  private static final Path SANDBOX_JAR = Path.of("target", "lambda-invocation-sandbox.jar");

  /** Packages (as jar entry prefixes) that only the sandbox needs. */
  private static final List<String> SANDBOX_ONLY =
      List.of(
          "dev/ephemeral/lambda/sandbox/",
          "dev/ephemeral/lambda/emulator/",
          "io/fabric8/mockwebserver/",
          "io/fabric8/kubernetes/client/server/mock/",
          "io/vertx/",
          "io/netty/",
          "org/bouncycastle/");

  @Test
  void operatorJarHoldsNoSandboxEmulatorOrMockApiServer() throws IOException {
    try (var jar = new JarFile(OPERATOR_JAR.toFile())) {
      assertThat(classes(jar)).filteredOn(PackagedJarsIT::isSandboxOnly).isEmpty();
      assertThat(serviceProviders(jar)).filteredOn(PackagedJarsIT::isSandboxOnly).isEmpty();
    }
  }

  @Test
  void operatorJarHoldsEveryOtherClassOfTheSandboxJar() throws IOException {
    try (var operator = new JarFile(OPERATOR_JAR.toFile());
        var sandbox = new JarFile(SANDBOX_JAR.toFile())) {
      Set<String> expected =
          classes(sandbox).stream()
              .filter(c -> !isSandboxOnly(c))
              .collect(Collectors.toCollection(TreeSet::new));
      Set<String> actual = classes(operator);

      assertThat(difference(expected, actual)).as("missing from the operator's jar").isEmpty();
      assertThat(difference(actual, expected)).as("only in the operator's jar").isEmpty();
    }
  }

  @Test
  void operatorJarStartsOperatorMain() throws IOException {
    try (var jar = new JarFile(OPERATOR_JAR.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo(OperatorMain.class.getName());
    }
  }

  @Test
  void bothJarsPrintTheProjectsVersion(@TempDir Path dir) throws Exception {
    String version = Pom.read().resolve("${project.version}");
    Run operator = runJar(OPERATOR_JAR, dir.resolve("operator"), "--version");
    assertThat(operator.exitCode()).as(operator.describe()).isZero();
    assertThat(operator.out()).startsWith("lambda-invocation-operator " + version + "\n");
    Run sandbox = runJar(SANDBOX_JAR, dir.resolve("sandbox"), "-V");
    assertThat(sandbox.exitCode()).as(sandbox.describe()).isZero();
    assertThat(sandbox.out()).startsWith("lambda-invocation-sandbox " + version + "\n");
  }

  @Test
  void sandboxJarRunsTheExamples(@TempDir Path dir) throws Exception {
    Run run = runSandboxJar(dir);

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.out()).startsWith("NAME ");
    assertThat(run.out()).contains("api-key", "failing-check", "sizing-config");
  }

  @Test
  void sandboxJarPrintsItsHelp(@TempDir Path dir) throws Exception {
    Run run = runSandboxJar(dir, "--help");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.out())
        .startsWith("Usage: lambda-invocation-sandbox")
        .contains("--lambda-endpoint");
  }

  @Test
  void sandboxJarRefusesABadArgumentInOneLineWithStatusTwo(@TempDir Path dir) throws Exception {
    Run run = runSandboxJar(dir, "--bogus");

    assertThat(run.exitCode()).as(run.describe()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines().toList())
        .containsExactly(
            "lambda-invocation-sandbox: Unknown option: '--bogus'",
            "Try 'lambda-invocation-sandbox --help' for the options.");
  }

  // --- helpers

  record Run(int exitCode, String out, String err) {
    String describe() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /**
   * {@code java -jar target/lambda-invocation-sandbox.jar args...} from the project root (so
   * examples/ resolves), in an empty environment.
   */
  private static Run runSandboxJar(Path dir, String... args) throws Exception {
    return runJar(SANDBOX_JAR, dir, args);
  }

  /** {@code java -jar JAR args...} from the project root, in an empty environment. */
  private static Run runJar(Path jar, Path dir, String... args) throws Exception {
    Files.createDirectories(dir);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(List.of(args));
    var builder = new ProcessBuilder(command);
    builder.environment().clear();
    Path out = dir.resolve("stdout");
    Path err = dir.resolve("stderr");
    builder.redirectOutput(out.toFile());
    builder.redirectError(err.toFile());
    Process process = builder.start();
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError(jar + " did not exit within 2 minutes: " + command);
    }
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** The classes of a jar, as entry names, Multi-Release versions included. */
  private static Set<String> classes(JarFile jar) {
    return jar.stream()
        .map(JarEntry::getName)
        .filter(name -> name.endsWith(".class"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> difference(Set<String> from, Set<String> without) {
    Set<String> difference = new TreeSet<>(from);
    difference.removeAll(without);
    return difference;
  }

  /** The provider classes that the jar's META-INF/services files name, as entry names. */
  private static List<String> serviceProviders(JarFile jar) {
    return jar.stream()
        .filter(e -> e.getName().startsWith("META-INF/services/") && !e.isDirectory())
        .flatMap(e -> lines(jar, e).stream())
        .map(line -> line.replaceFirst("#.*", "").strip())
        .filter(line -> !line.isEmpty())
        .map(provider -> provider.replace('.', '/') + ".class")
        .toList();
  }

  private static List<String> lines(JarFile jar, JarEntry entry) {
    try (var reader =
        new BufferedReader(
            new InputStreamReader(jar.getInputStream(entry), StandardCharsets.UTF_8))) {
      return reader.lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isSandboxOnly(String entry) {
    String name = entry.replaceFirst("^META-INF/versions/\\d+/", "");
    return SANDBOX_ONLY.stream().anyMatch(name::startsWith);
  }
}
