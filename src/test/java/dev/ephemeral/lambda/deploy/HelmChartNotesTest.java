package dev.ephemeral.lambda.deploy;

import static dev.ephemeral.lambda.deploy.DeployFiles.OPERATOR_NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.policy.CallTarget;
import dev.ephemeral.lambda.policy.Permit;
import dev.ephemeral.lambda.policy.PolicyEvaluator;
import dev.ephemeral.lambda.validation.SpecValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What {@code helm install} prints after installing (NOTES.txt, rendered by a client-only dry run):
 * with the default policyMode Enforce it says that nothing is invoked until a policy allows it, and
 * the policy it shows allows every example of examples/ in their namespace.
 */
class HelmChartNotesTest {

  private static final String EXAMPLES_NAMESPACE = "demo";
  private static final Path CHART_DOCS = Path.of("docs", "helm-chart.md");
  private static final Pattern HEREDOC =
      Pattern.compile("kubectl apply -f - <<'EOF'\\n(.*?)\\n\\s*EOF\\n", Pattern.DOTALL);

  @Test
  void enforceSaysNothingIsInvokedUntilAPolicyAllowsItAndShowsOneForTheExamples()
      throws IOException {
    String notes = notes(Map.of());
    assertThat(notes)
        .contains("NOTHING IS INVOKED until a LambdaInvocationPolicy allows it")
        .contains("kubectl create namespace " + EXAMPLES_NAMESPACE)
        .contains("kubectl apply -f examples/01-api-key.yaml");

    LambdaInvocationPolicy policy = policyIn(notes);
    assertThat(KubernetesModel.unknownFields(policy)).isEmpty();
    assertThat(policy.getSpec().getNamespaces()).containsExactly(EXAMPLES_NAMESPACE);

    // Every example would be invoked under that policy alone: the operator's own evaluation.
    SpecValidator validator = new SpecValidator(new ObjectMapper());
    PolicyEvaluator evaluator = new PolicyEvaluator("111122223333", "eu-west-1");
    List<LambdaInvocation> examples = examples();
    assertThat(examples).hasSizeGreaterThan(5);
    for (LambdaInvocation example : examples) {
      String name = example.getMetadata().getName();
      assertThat(example.getMetadata().getNamespace()).as(name).isEqualTo(EXAMPLES_NAMESPACE);
      var valid = (SpecValidator.Valid) validator.validate(example);
      Permit permit =
          evaluator.evaluate(
              EXAMPLES_NAMESPACE, Map.of(), CallTarget.of(valid.plan()), List.of(policy));
      assertThat(permit).as(name + ": " + permit).isInstanceOf(Permit.Allowed.class);
    }
  }

  @Test
  void chartDocsShowTheSamePolicyAsTheNotes() {
    assertThat(policyDocument(DeployFiles.read(CHART_DOCS)))
        .as(CHART_DOCS + " and NOTES.txt")
        .isEqualTo(policyDocument(notes(Map.of())));
  }

  @Test
  void offSaysEveryLambdaInvocationIsInvokedAndShowsNoPolicy() {
    String notes = notes(Map.of("policyMode", "Off"));
    assertThat(notes).contains("policyMode is Off").doesNotContain("NOTHING IS INVOKED");
    assertThat(HEREDOC.matcher(notes).find()).isFalse();
  }

  @Test
  void notesSayWhatBecomesOfTheCrds() {
    assertThat(notes(Map.of()))
        .contains("`helm upgrade` brings new versions of them")
        .contains("`helm uninstall` leaves them");
    assertThat(notes(Map.of("crds", Map.of("keep", false))))
        .contains("`helm uninstall` DELETES them");
    assertThat(notes(Map.of("crds", Map.of("enabled", false))))
        .contains("kubectl apply --server-side -f files/crds/");
  }

  private static String notes(Map<String, ?> values) {
    return HelmChart.notes(HelmChartTest.RELEASE, OPERATOR_NAMESPACE, values);
  }

  /** The policy of the text's {@code kubectl apply -f - <<'EOF'}, as the API would read it. */
  private static LambdaInvocationPolicy policyIn(String text) {
    return KubernetesModel.typed(policyDocument(text), LambdaInvocationPolicy.class);
  }

  /** The one document of the text's {@code kubectl apply -f - <<'EOF'}. */
  private static ObjectNode policyDocument(String text) {
    Matcher heredoc = HEREDOC.matcher(text);
    assertThat(heredoc.find()).as("a kubectl apply of a policy in:\n" + text).isTrue();
    String indented = heredoc.group(1);
    String indent = indented.substring(0, indented.indexOf("apiVersion"));
    String yaml =
        indented
            .lines()
            .map(line -> line.startsWith(indent) ? line.substring(indent.length()) : line)
            .collect(Collectors.joining("\n"));
    List<ObjectNode> documents = DeployFiles.documents("NOTES.txt", yaml);
    assertThat(documents).hasSize(1);
    return documents.get(0);
  }

  /** The LambdaInvocations of examples/*.yaml, those that the sandbox runs by default. */
  private static List<LambdaInvocation> examples() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("examples"))) {
      return files
          .filter(f -> f.getFileName().toString().endsWith(".yaml"))
          .sorted()
          .flatMap(f -> DeployFiles.documents(f).stream())
          .filter(d -> DeployFiles.kind(d).equals("LambdaInvocation"))
          .map(d -> KubernetesModel.typed(d, LambdaInvocation.class))
          .toList();
    }
  }
}
