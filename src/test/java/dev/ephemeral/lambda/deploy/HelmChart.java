package dev.ephemeral.lambda.deploy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The chart in {@code charts/lambda-invocation-operator}, linted and rendered by Helm's own code
 * (helm-java runs Helm's Go library in process: no helm binary, no cluster).
 */
final class HelmChart {

  static final Path CHART = Path.of("charts", "lambda-invocation-operator");
  static final Path CHART_YAML = CHART.resolve("Chart.yaml");
  static final Path VALUES = CHART.resolve("values.yaml");

  /**
   * The chart's copies of crds/, which templates/crds.yaml renders (Helm's crds/ never upgrades).
   */
  static final Path CRDS = CHART.resolve("files").resolve("crds");

  static final Path NAMESPACED_VALUES = CHART.resolve("ci").resolve("namespaced-values.yaml");
  static final Path MONITORING_VALUES = CHART.resolve("ci").resolve("monitoring-values.yaml");

  private static final Path SCRATCH = Path.of("target", "helm-test");

  private HelmChart() {}

  /** {@code helm lint --strict}: warnings fail too. */
  static LintResult lint() {
    return new Helm(CHART).lint().strict().call();
  }

  /**
   * {@code helm template}, as {@code helm install <release> -n <namespace>} would apply it, with
   * the given values files and then the given values (as one more values file). Helm refuses values
   * that break values.schema.json or a template's {@code fail}: an IllegalStateException with
   * Helm's message.
   */
  static Kustomize.Build template(
      String release, String namespace, List<Path> valuesFiles, Map<String, ?> values) {
    TemplateCommand template =
        new Helm(CHART).template().withName(release).withNamespace(namespace);
    valuesFiles.forEach(template::withValuesFile);
    if (!values.isEmpty()) {
      template.withValuesFile(write(values));
    }
    String rendered = template.call();
    List<ObjectNode> objects = DeployFiles.documents("helm template " + CHART, rendered);
    Set<String> ids = new LinkedHashSet<>();
    for (ObjectNode object : objects) {
      if (!ids.add(DeployFiles.id(object))) {
        throw new AssertionError(CHART + " renders " + DeployFiles.id(object) + " twice");
      }
    }
    return new Kustomize.Build(objects, Set.of());
  }

  /**
   * The NOTES.txt that {@code helm install <release> -n <namespace>} prints with these values (a
   * client-only dry run: Helm renders everything as it would install it, and talks to no cluster).
   */
  static String notes(String release, String namespace, Map<String, ?> values) {
    InstallCommand install =
        new Helm(CHART).install().withName(release).withNamespace(namespace).clientOnly().dryRun();
    if (!values.isEmpty()) {
      install.withValuesFile(write(values));
    }
    String output = install.call().getOutput();
    int notes = output.indexOf(NOTES_HEADING);
    if (notes < 0) {
      throw new AssertionError("helm install --dry-run printed no NOTES:\n" + output);
    }
    return output.substring(notes + NOTES_HEADING.length());
  }

  private static final String NOTES_HEADING = "\nNOTES:\n";

  private static Path write(Map<String, ?> values) {
    try {
      Files.createDirectories(SCRATCH);
      Path file = Files.createTempFile(SCRATCH, "values-", ".yaml");
      Files.writeString(file, DeployFiles.YAML.writeValueAsString(values));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
