package dev.ephemeral.lambda.deploy;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Node;

/** What the Dockerfile relies on in pom.xml, read from pom.xml itself. */
final class Pom {

  static final Path PATH = Path.of("pom.xml");
  private static final Pattern PROPERTY = Pattern.compile("\\$\\{([^}]+)}");

  private final Document document;

  private Pom(Document document) {
    this.document = document;
  }

  static Pom read() {
    try {
      var factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(false);
      return new Pom(factory.newDocumentBuilder().parse(PATH.toFile()));
    } catch (Exception e) {
      throw new AssertionError("cannot read " + PATH, e);
    }
  }

  Optional<String> text(String xpath) {
    try {
      Node node =
          (Node)
              XPathFactory.newInstance().newXPath().evaluate(xpath, document, XPathConstants.NODE);
      return node == null ? Optional.empty() : Optional.of(node.getTextContent().trim());
    } catch (Exception e) {
      throw new AssertionError(xpath, e);
    }
  }

  String artifactId() {
    return text("/project/artifactId").orElseThrow();
  }

  String packaging() {
    return text("/project/packaging").orElse("jar");
  }

  /** ${property} references resolved against project.* and the pom's properties. */
  String resolve(String value) {
    Matcher m = PROPERTY.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String property = m.group(1);
      String replacement =
          switch (property) {
            case "project.artifactId" -> artifactId();
            case "project.version" -> text("/project/version").orElseThrow();
            case "project.groupId" -> text("/project/groupId").orElseThrow();
            default ->
                text("/project/properties/" + property)
                    .orElseThrow(
                        () -> new AssertionError("pom.xml: cannot resolve ${" + property + "}"));
          };
      m.appendReplacement(out, Matcher.quoteReplacement(resolve(replacement)));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * The file {@code mvn package} writes into target/: build.finalName (default artifactId-version)
   * + .jar.
   */
  String jarName() {
    String finalName =
        text("/project/build/finalName").orElse("${project.artifactId}-${project.version}");
    return resolve(finalName) + "." + packaging();
  }

  /**
   * A setting of one maven-shade-plugin execution (by id): its own configuration, else the
   * plugin's.
   */
  Optional<String> shadeSetting(String execution, String setting) {
    String plugin = "/project/build/plugins/plugin[artifactId='maven-shade-plugin']";
    return text(plugin + "/executions/execution[id='" + execution + "']/configuration/" + setting)
        .or(() -> text(plugin + "/configuration/" + setting));
  }

  boolean hasShadeExecution(String execution) {
    return text("/project/build/plugins/plugin[artifactId='maven-shade-plugin']/executions/execution[id='"
            + execution
            + "']/id")
        .isPresent();
  }

  int javaRelease() {
    return Integer.parseInt(
        resolve(
            text("/project/properties/maven.compiler.release")
                .orElseThrow(() -> new AssertionError("pom.xml sets no maven.compiler.release"))));
  }
}
