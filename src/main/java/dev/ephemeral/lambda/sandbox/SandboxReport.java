package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;

/**
 * Renders the sandbox's outcome: a table (key names only, never values), or YAML/JSON like kubectl
 * (the LambdaInvocations, their Secrets, and the workloads they restart).
 */
final class SandboxReport {

  enum Format {
    table,
    yaml,
    json
  }

  private static final List<String> HEADERS =
      List.of(
          "NAME",
          "READY",
          "REASON",
          "STATUS CODE",
          "EXECUTED VERSION",
          "SECRET",
          "KEYS",
          "INVOCATIONS");

  private SandboxReport() {}

  static String render(
      Format format,
      List<LambdaInvocation> invocations,
      Map<String, Secret> secretsByInvocation,
      List<HasMetadata> restartTargets,
      ToLongFunction<LambdaInvocation> invocationCount) {
    return switch (format) {
      case table -> table(invocations, secretsByInvocation, invocationCount);
      case yaml -> kubectlYaml(list(invocations, secretsByInvocation, restartTargets));
      case json ->
          new KubernetesSerialization()
                  .asJson(list(invocations, secretsByInvocation, restartTargets))
              + "\n";
    };
  }

  /**
   * YAML as {@code kubectl get -o yaml} prints it: no leading {@code ---}, strings unquoted where
   * YAML reads them back as strings (quoted where they would read as a number, boolean or null).
   */
  private static String kubectlYaml(Object list) {
    try {
      return KUBECTL_YAML.writeValueAsString(
          new KubernetesSerialization().convertValue(list, JsonNode.class));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the report as YAML", e);
    }
  }

  private static final ObjectMapper KUBECTL_YAML =
      new ObjectMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .stringQuotingChecker(new TimestampsQuoted())
              .build());

  /**
   * Quotes a string that YAML 1.1 would read back as a timestamp, as kubectl (go-yaml) does:
   * {@code creationTimestamp: "2026-12-07T10:00:00Z"}.
   */
  private static final class TimestampsQuoted extends StringQuotingChecker.Default {

    private static final Pattern TIMESTAMP =
        Pattern.compile(
            "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
                + "(([Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
                + "([ \\t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?");

    @Override
    public boolean needToQuoteValue(String value) {
      return super.needToQuoteValue(value) || TIMESTAMP.matcher(value).matches();
    }
  }

  static String key(HasMetadata resource) {
    return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
  }

  private static Object list(
      List<LambdaInvocation> invocations,
      Map<String, Secret> secrets,
      List<HasMetadata> restartTargets) {
    List<HasMetadata> items = new ArrayList<>(invocations);
    invocations.stream().map(i -> secrets.get(key(i))).filter(s -> s != null).forEach(items::add);
    items.addAll(restartTargets);
    // Not KubernetesListBuilder: it looks for a generated builder class for every item, and the
    // LambdaInvocation model has none (IllegalStateException "Failed to create builder").
    var list = new KubernetesList();
    list.setItems(items);
    return list;
  }

  private static String table(
      List<LambdaInvocation> invocations,
      Map<String, Secret> secrets,
      ToLongFunction<LambdaInvocation> counts) {
    long namespaces =
        invocations.stream().map(i -> i.getMetadata().getNamespace()).distinct().count();
    List<List<String>> rows = new ArrayList<>();
    rows.add(HEADERS);
    for (LambdaInvocation invocation : invocations) {
      var status = Optional.ofNullable(invocation.getStatus());
      var condition = status.flatMap(s -> s.readyCondition());
      Secret secret = secrets.get(key(invocation));
      rows.add(
          List.of(
              namespaces > 1 ? key(invocation) : invocation.getMetadata().getName(),
              condition.map(c -> c.getStatus()).orElse("Unknown"),
              condition.map(c -> c.getReason()).orElse("<none>"),
              status.map(s -> s.getStatusCode()).map(String::valueOf).orElse("<none>"),
              status.map(s -> s.getExecutedVersion()).orElse("<none>"),
              secret == null ? "<none>" : secret.getMetadata().getName(),
              secret == null || secret.getData() == null
                  ? "<none>"
                  : String.join(",", new TreeSet<>(secret.getData().keySet())),
              String.valueOf(counts.applyAsLong(invocation))));
    }
    int[] widths = new int[HEADERS.size()];
    rows.forEach(
        row -> {
          for (int i = 0; i < row.size(); i++) {
            widths[i] = Math.max(widths[i], row.get(i).length());
          }
        });
    StringBuilder out = new StringBuilder();
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        String cell = row.get(i);
        out.append(i == row.size() - 1 ? cell : cell + " ".repeat(widths[i] - cell.length() + 3));
      }
      out.append('\n');
    }
    return out.toString();
  }
}
