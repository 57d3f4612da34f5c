package dev.ephemeral.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.sandbox.SandboxMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code --version} and {@code -V}, which both jars' --help list, print the version the build
 * gave the project, then the libraries' and Java's; the operator's {@code run} takes them too.
 */
class VersionOptionTest {

  /** The project's version as pom.xml says, which Maven filtered into build.properties. */
  private static final String POM_VERSION = pomVersion();

  @ParameterizedTest
  @ValueSource(strings = {"--version", "-V"})
  void operatorPrintsTheProjectsVersion(String option) {
    assertThat(run(OperatorMain.commandLine(), option))
        .first()
        .isEqualTo("lambda-invocation-operator " + POM_VERSION);
    assertThat(run(OperatorMain.commandLine(), "run", option))
        .first()
        .isEqualTo("lambda-invocation-operator " + POM_VERSION);
  }

  @ParameterizedTest
  @ValueSource(strings = {"--version", "-V"})
  void sandboxPrintsTheProjectsVersion(String option) {
    assertThat(run(SandboxMain.commandLine(Map.of()), option))
        .first()
        .isEqualTo("lambda-invocation-sandbox " + POM_VERSION);
  }

  @ParameterizedTest
  @ValueSource(strings = {"--version", "-V"})
  void theLibrariesAndJavaFollow(String option) {
    List<String> lines = run(OperatorMain.commandLine(), option);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(1))
        .matches(
            "java-operator-sdk \\d+\\.\\d+\\.\\d+, fabric8 kubernetes-client \\d+\\.\\d+\\.\\d+,"
                + " AWS SDK for Java \\d+\\.\\d+\\.\\d+");
    assertThat(lines.get(2)).startsWith("Java " + Runtime.version());
  }

  private static List<String> run(CommandLine commandLine, String... args) {
    var out = new StringWriter();
    commandLine.setOut(new PrintWriter(out));
    assertThat(commandLine.execute(args)).as("exit status").isZero();
    return out.toString().lines().toList();
  }

  private static String pomVersion() {
    try {
      var pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse("pom.xml");
      return XPathFactory.newInstance().newXPath().evaluate("/project/version", pom).trim();
    } catch (Exception e) {
      throw new AssertionError("cannot read the version in pom.xml", e);
    }
  }
}
