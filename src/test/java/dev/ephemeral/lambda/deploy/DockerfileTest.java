package dev.ephemeral.lambda.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ephemeral.lambda.OperatorMain;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.deploy.Dockerfile.Instruction;
import dev.ephemeral.lambda.deploy.Dockerfile.Stage;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of the image without a Docker engine: the jar the runtime stage copies is the
 * operator's, the one {@code mvn package} writes by pom.xml's finalName (PackagedJarsIT opens it),
 * the image's build skips the sandbox's jar, the build's JDK is of the pom's release and links the
 * runtime the final stage runs from the module list JlinkRuntimeIT checks, base images are pinned
 * by digest, the final user is numeric and not root, the exposed port is the operator's default
 * HTTP port and the one the Deployment probes, the JVM works on a read-only root with /tmp an
 * emptyDir.
 */
class DockerfileTest {

  private static final Pattern EMBEDDED_JAVA =
      Pattern.compile("(?:temurin|jdk|jre|corretto)-(\\d+)");
  private static final Pattern LEADING_NUMBER = Pattern.compile("^(\\d+)");
  private static final Pattern JAVA_REPOSITORY =
      Pattern.compile("temurin|openjdk|jdk|jre|corretto|java");
  private static final Pattern PROPERTY_REFERENCE = Pattern.compile("\\$\\{([^}]+)}");
  private static final Pattern PINNED = Pattern.compile("[^@\\s]+:[^@:/\\s]+@sha256:[0-9a-f]{64}");
  private static final String MAVEN_CACHE_MOUNT = "--mount=type=cache,target=/root/.m2";

  /** The pom's maven-shade-plugin executions that write the operator's and the sandbox's jars. */
  private static final String OPERATOR_JAR = "operator-jar";

  private static final String SANDBOX_JAR = "sandbox-jar";

  private final Dockerfile dockerfile = Dockerfile.read();
  private final Pom pom = Pom.read();
  private final Stage runtime = dockerfile.finalStage();

  @Test
  void isMultiStage() {
    assertThat(dockerfile.stages()).hasSizeGreaterThanOrEqualTo(2);
    assertThat(dockerfile.stages().get(0).image()).startsWith("maven:");
    assertThat(runtime.image()).as("a slim base, no JDK or JRE").startsWith("debian:");
    assertThat(javaMajor(runtime.image())).isEmpty();
  }

  @Test
  void everyBaseImageIsPinnedByTagAndDigest() {
    for (Stage stage : dockerfile.stages()) {
      assertThat(stage.image()).as("stage %d", stage.index()).matches(PINNED);
    }
  }

  @Test
  void buildStageRunsTheJavaReleaseOfThePom() {
    assertThat(javaMajor(buildStage().image()))
        .as("Java version of the build stage's image %s", buildStage().image())
        .contains(pom.javaRelease());
  }

  @Test
  void runtimeRunsTheJavaThatTheBuildStageLinksFromTheModuleList() {
    Instruction jlink =
        only(
            "RUN jlink in the build stage",
            buildStage().instructions().stream()
                .filter(i -> i.keyword().equals("RUN") && i.words().contains("jlink"))
                .toList());
    assertThat(jlink.arguments())
        .as("jlink reads the list JlinkRuntimeIT checks")
        .contains("--add-modules", JlinkRuntimeIT.MODULES.toString());
    List<String> words = jlink.words();
    Path output = Path.of(buildStage().workdir()).resolve(words.get(words.indexOf("--output") + 1));

    Copy copy =
        only(
            "COPY of jlink's output " + output,
            copies().stream()
                .filter(
                    c -> Path.of(buildStage().workdir()).resolve(c.sources().get(0)).equals(output))
                .toList());
    assertThat(copy.from()).hasValue(buildStage().name().orElseThrow());
    List<String> argv = runtime.last("ENTRYPOINT").orElseThrow().execForm();
    assertThat(argv.get(0)).isEqualTo(copy.destination() + "/bin/java");
    assertThat(env(runtime, "JAVA_HOME")).contains(copy.destination());
  }

  @Test
  void javaVersionIsReadFromTheImageTag() {
    assertThat(javaMajor("maven:3.9-eclipse-temurin-17")).contains(17);
    assertThat(javaMajor("eclipse-temurin:17-jre")).contains(17);
    assertThat(javaMajor("eclipse-temurin:17.0.13_11-jre-alpine")).contains(17);
    assertThat(javaMajor("eclipse-temurin:21-jre-jammy")).contains(21);
    assertThat(javaMajor("maven:3.9-eclipse-temurin-21-alpine")).contains(21);
    assertThat(javaMajor("maven:3.9.16-eclipse-temurin-17@sha256:" + "0".repeat(64))).contains(17);
    assertThat(javaMajor("debian:bookworm-20260316-slim@sha256:" + "0".repeat(64))).isEmpty();
    assertThat(javaMajor("eclipse-temurin")).isEmpty();
    assertThat(javaMajor("maven:3.9")).isEmpty();
  }

  @Test
  void buildStageCopiesThePomFirstThenTheSourcesAndPackages() {
    Stage build = buildStage();
    List<Instruction> steps = build.instructions();
    int copyPom = indexOf(steps, i -> isCopyOf(i, "pom.xml"));
    int goOffline =
        indexOf(
            steps,
            i ->
                i.keyword().equals("RUN")
                    && i.arguments().contains("mvn")
                    && i.arguments().contains("dependency:go-offline"));
    int copySrc = indexOf(steps, i -> isCopyOf(i, "src"));
    int copyCrds = indexOf(steps, i -> isCopyOf(i, "crds"));
    int packageStep = indexOf(steps, DockerfileTest::isMvnPackage);

    assertThat(copyPom).as("COPY pom.xml").isNotNegative();
    assertThat(goOffline)
        .as("RUN mvn dependency:go-offline")
        .isGreaterThan(copyPom)
        .isLessThan(copySrc);
    assertThat(copySrc).as("COPY src").isPositive();
    assertThat(copyCrds).as("COPY crds").isPositive();
    assertThat(packageStep)
        .as("RUN mvn ... package")
        .isGreaterThan(copySrc)
        .isGreaterThan(copyCrds);
    assertThat(steps.get(packageStep).arguments()).contains("-B");
    for (Instruction mvn : List.of(steps.get(goOffline), steps.get(packageStep))) {
      assertThat(mvn.words())
          .as("Maven's repository in a BuildKit cache")
          .contains(MAVEN_CACHE_MOUNT);
    }
  }

  @Test
  void runtimeStageCopiesOnlyTheJarThatMavenPackageBuilds() {
    assertThat(pom.packaging()).isEqualTo("jar");
    // The operator's shaded jar replaces the main artifact, target/<finalName>.jar, unless told
    // otherwise.
    assertThat(pom.hasShadeExecution(OPERATOR_JAR)).isTrue();
    assertThat(pom.shadeSetting(OPERATOR_JAR, "shadedArtifactAttached")).isEmpty();
    assertThat(pom.shadeSetting(OPERATOR_JAR, "finalName")).isEmpty();
    assertThat(pom.shadeSetting(OPERATOR_JAR, "outputFile")).isEmpty();
    assertThat(pom.shadeSetting(OPERATOR_JAR, "transformers/transformer/mainClass"))
        .contains(OperatorMain.class.getName());
    String jar = pom.jarName();
    assertThat(jar).isEqualTo(pom.artifactId() + ".jar");

    // The jar, and the Java runtime (runtimeRunsTheJavaThatTheBuildStageLinksFromTheModuleList).
    assertThat(runtime.all("ADD")).isEmpty();
    List<Copy> copies = copies();
    assertThat(copies).as("COPY in the runtime stage").hasSize(2);
    Copy copy =
        only(
            "COPY of a jar",
            copies.stream().filter(c -> c.sources().get(0).endsWith(".jar")).toList());
    Stage from =
        copy.from()
            .flatMap(dockerfile::stage)
            .orElseThrow(
                () -> new AssertionError("the runtime stage must COPY --from the build stage"));
    assertThat(from).isEqualTo(buildStage());
    assertThat(copy.sources()).hasSize(1);
    Path source = Path.of(from.workdir()).resolve(copy.sources().get(0)).normalize();
    assertThat(source).isEqualTo(Path.of(from.workdir(), "target", jar));
    assertThat(copy.destination()).isEqualTo(jarInEntrypoint());
  }

  @Test
  void buildStageSkipsTheSandboxJar() {
    // The sandbox's jar is written elsewhere, so it never replaces the image's jar.
    assertThat(pom.shadeSetting(SANDBOX_JAR, "outputFile")).isPresent();
    String skip =
        pom.shadeSetting(SANDBOX_JAR, "skip")
            .orElseThrow(() -> new AssertionError("the sandbox-jar execution has no <skip>"));
    Matcher property = PROPERTY_REFERENCE.matcher(skip);
    assertThat(property.matches()).as("<skip> is a property reference: %s", skip).isTrue();
    assertThat(buildStage().instructions().stream().filter(DockerfileTest::isMvnPackage))
        .singleElement()
        .satisfies(mvn -> assertThat(mvn.words()).contains("-D" + property.group(1) + "=true"));
  }

  @Test
  void finalUserIsNumericAndNotRoot() {
    String user =
        runtime
            .last("USER")
            .orElseThrow(() -> new AssertionError("no USER in the runtime stage"))
            .arguments();
    assertThat(user).matches("\\d+(:\\d+)?");
    String[] ids = user.split(":");
    assertThat(Long.parseLong(ids[0])).as("UID").isNotZero();
    JsonNode pod = DeployManifestsTest.podSpec(Kustomize.build(DeployFiles.CLUSTER_WIDE));
    assertThat(pod.path("securityContext").path("runAsUser").asLong())
        .as("the Deployment's runAsUser is the image's USER")
        .isEqualTo(Long.parseLong(ids[0]));
    if (ids.length > 1) {
      assertThat(pod.path("securityContext").path("runAsGroup").asLong())
          .isEqualTo(Long.parseLong(ids[1]));
    }
  }

  @Test
  void exposesTheDefaultHttpPortThatTheDeploymentProbes() {
    int port = OperatorConfig.DEFAULT_HTTP_PORT;
    List<Instruction> exposes = runtime.all("EXPOSE");
    assertThat(exposes).hasSize(1);
    assertThat(exposes.get(0).words()).containsExactly(String.valueOf(port));
    assertThat(env(runtime, OperatorConfig.HTTP_PORT)).contains(String.valueOf(port));

    for (Path variant : List.of(DeployFiles.CLUSTER_WIDE, DeployFiles.NAMESPACED)) {
      JsonNode container = DeployManifestsTest.operatorContainer(Kustomize.build(variant));
      assertThat(container.path("ports")).hasSize(1);
      assertThat(container.path("ports").get(0).path("containerPort").asInt()).isEqualTo(port);
      for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
        JsonNode probePort = container.path(probe).path("httpGet").path("port");
        assertThat(DeployManifestsTest.containerPort(container, probePort))
            .as(probe)
            .isEqualTo(port);
      }
      assertThat(DeployManifestsTest.envValue(container, OperatorConfig.HTTP_PORT))
          .contains(String.valueOf(port));
    }
  }

  @Test
  void entrypointIsExecFormAndRunsTheJarWithContainerAwareFlags() {
    Instruction entrypoint =
        runtime
            .last("ENTRYPOINT")
            .orElseThrow(() -> new AssertionError("no ENTRYPOINT in the runtime stage"));
    assertThat(entrypoint.isExecForm()).as("ENTRYPOINT in exec form (JSON array)").isTrue();
    runtime
        .last("CMD")
        .ifPresent(
            cmd -> {
              assertThat(cmd.isExecForm()).as("CMD in exec form").isTrue();
              assertThat(cmd.execForm()).containsExactly("run");
            });
    List<String> argv = entrypoint.execForm();
    assertThat(argv.get(0)).endsWith("/bin/java");

    List<String> jvmFlags = new ArrayList<>(argv);
    env(runtime, "JAVA_TOOL_OPTIONS")
        .ifPresent(o -> jvmFlags.addAll(List.of(o.replace("\"", "").split("\\s+"))));
    assertThat(jvmFlags)
        .anyMatch(f -> f.startsWith("-XX:MaxRAMPercentage="))
        .contains("-XX:+ExitOnOutOfMemoryError")
        .noneMatch(f -> f.startsWith("-Xmx"));
  }

  @Test
  void jvmTempDirIsAnEmptyDirBecauseTheRootIsReadOnly() {
    List<String> flags = new ArrayList<>(runtime.last("ENTRYPOINT").orElseThrow().execForm());
    env(runtime, "JAVA_TOOL_OPTIONS")
        .ifPresent(o -> flags.addAll(List.of(o.replace("\"", "").split("\\s+"))));
    String tmpdir =
        flags.stream()
            .filter(f -> f.startsWith("-Djava.io.tmpdir="))
            .map(f -> f.substring("-Djava.io.tmpdir=".length()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("set -Djava.io.tmpdir to the emptyDir"));
    for (Path variant : List.of(DeployFiles.CLUSTER_WIDE, DeployFiles.NAMESPACED)) {
      Kustomize.Build build = Kustomize.build(variant);
      assertThat(DeployManifestsTest.emptyDirMounts(build))
          .as(variant + ": emptyDir mounts")
          .contains(tmpdir);
    }
  }

  @Test
  void dockerignoreKeepsTheBuildContextSmallButKeepsWhatTheBuildCopies() {
    List<String> patterns =
        DeployFiles.read(Path.of(".dockerignore"))
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(patterns).noneMatch(p -> p.startsWith("!"));
    assertThat(ignored(patterns, "target/lambda-invocation-operator.jar")).as("target/").isTrue();
    assertThat(ignored(patterns, ".git/HEAD")).as(".git").isTrue();
    for (Instruction copy : buildStage().all("COPY")) {
      for (String source : Copy.of(copy).sources()) {
        assertThat(ignored(patterns, source))
            .as("COPY source %s is in .dockerignore", source)
            .isFalse();
        assertThat(ignored(patterns, source + "/main/Example.java"))
            .as("files under %s", source)
            .isFalse();
      }
    }
  }

  // --- helpers

  private static <T> T only(String what, List<T> found) {
    assertThat(found).as(what).hasSize(1);
    return found.get(0);
  }

  private List<Copy> copies() {
    return runtime.all("COPY").stream().map(Copy::of).toList();
  }

  private Stage buildStage() {
    return dockerfile.stages().stream()
        .filter(s -> s.instructions().stream().anyMatch(DockerfileTest::isMvnPackage))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no stage runs mvn package"));
  }

  private String jarInEntrypoint() {
    List<String> argv = runtime.last("ENTRYPOINT").orElseThrow().execForm();
    int jar = argv.indexOf("-jar");
    assertThat(jar).as("ENTRYPOINT runs java -jar").isPositive();
    return argv.get(jar + 1);
  }

  private static boolean isMvnPackage(Instruction i) {
    if (!i.keyword().equals("RUN")) {
      return false;
    }
    List<String> words = List.of(i.arguments().split("\\s+"));
    return words.contains("mvn") && words.contains("package");
  }

  private static boolean isCopyOf(Instruction i, String source) {
    return i.keyword().equals("COPY")
        && Copy.of(i).sources().stream()
            .map(s -> s.replaceAll("/+$", "").replaceFirst("^\\./", ""))
            .anyMatch(source::equals);
  }

  private static int indexOf(
      List<Instruction> steps, java.util.function.Predicate<Instruction> matches) {
    for (int i = 0; i < steps.size(); i++) {
      if (matches.test(steps.get(i))) {
        return i;
      }
    }
    return -1;
  }

  /** The value of an ENV in the stage (ENV KEY=value or ENV KEY value). */
  static Optional<String> env(Stage stage, String name) {
    Optional<String> value = Optional.empty();
    Pattern pair = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)");
    for (Instruction env : stage.all("ENV")) {
      String args = env.arguments();
      if (args.startsWith(name + " ")) {
        value = Optional.of(args.substring(name.length()).trim());
        continue;
      }
      Matcher m = pair.matcher(args);
      while (m.find()) {
        if (m.group(1).equals(name)) {
          value = Optional.of(m.group(2).replaceAll("^\"|\"$", ""));
        }
      }
    }
    return value;
  }

  /**
   * The Java major version of a JDK/JRE image, from its tag: eclipse-temurin:17-jre,
   * maven:3.9-eclipse-temurin-17.
   */
  static Optional<Integer> javaMajor(String reference) {
    String image = reference.replaceFirst("@sha256:[0-9a-f]+$", "");
    int colon = image.lastIndexOf(':');
    if (colon < 0 || image.indexOf('/', colon) >= 0) {
      return Optional.empty(); // no tag: whatever "latest" is today
    }
    String repository = image.substring(0, colon);
    String tag = image.substring(colon + 1);
    Matcher embedded = EMBEDDED_JAVA.matcher(tag);
    if (embedded.find()) {
      return Optional.of(Integer.parseInt(embedded.group(1)));
    }
    Matcher leading = LEADING_NUMBER.matcher(tag);
    if (JAVA_REPOSITORY.matcher(repository).find() && leading.find()) {
      return Optional.of(Integer.parseInt(leading.group(1)));
    }
    return Optional.empty();
  }

  private static boolean ignored(List<String> patterns, String file) {
    Path path = Path.of(file);
    for (String pattern : patterns) {
      String glob = pattern.replaceAll("/+$", "").replaceFirst("^/", "");
      var matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
      for (Path prefix = path; prefix != null; prefix = prefix.getParent()) {
        if (matcher.matches(prefix)) {
          return true;
        }
      }
    }
    return false;
  }

  /** A COPY instruction: its --from, its sources and its destination. */
  record Copy(Optional<String> from, List<String> sources, String destination) {
    static Copy of(Instruction copy) {
      List<String> words = new ArrayList<>(copy.isExecForm() ? copy.execForm() : copy.words());
      Optional<String> from = Optional.empty();
      while (!words.isEmpty() && words.get(0).startsWith("--")) {
        String flag = words.remove(0);
        if (flag.startsWith("--from=")) {
          from = Optional.of(flag.substring("--from=".length()));
        }
      }
      return new Copy(
          from, List.copyOf(words.subList(0, words.size() - 1)), words.get(words.size() - 1));
    }
  }
}
