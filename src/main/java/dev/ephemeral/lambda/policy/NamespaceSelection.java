package dev.ephemeral.lambda.policy;

import dev.ephemeral.lambda.customresource.LambdaInvocationPolicySpec;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Whether a policy applies to a namespace: by name, or by a label selector over its labels. */
final class NamespaceSelection {

  private NamespaceSelection() {}

  /** The policy names the namespace in {@code namespaces}. */
  static boolean named(LambdaInvocationPolicySpec spec, String namespace) {
    return spec.getNamespaces() != null && spec.getNamespaces().contains(namespace);
  }

  /**
   * @param labels the namespace's labels; null when the namespace is not known, which no selector
   *     selects
   */
  static boolean applies(
      LambdaInvocationPolicySpec spec, String namespace, Map<String, String> labels) {
    return named(spec, namespace)
        || (labels != null && selects(spec.getNamespaceSelector(), labels));
  }

  /** Kubernetes' label selector semantics; an empty selector selects everything. */
  static boolean selects(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    Map<String, String> matchLabels = selector.getMatchLabels();
    if (matchLabels != null
        && !matchLabels.entrySet().stream()
            .allMatch(e -> Objects.equals(labels.get(e.getKey()), e.getValue()))) {
      return false;
    }
    List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
    return expressions == null || expressions.stream().allMatch(r -> satisfies(r, labels));
  }

  private static boolean satisfies(
      LabelSelectorRequirement requirement, Map<String, String> labels) {
    // One the schema would refuse (no entry, no key) selects nothing: never more than was meant.
    if (requirement == null || requirement.getKey() == null) {
      return false;
    }
    String value = labels.get(requirement.getKey());
    List<String> values = requirement.getValues() == null ? List.of() : requirement.getValues();
    return switch (String.valueOf(requirement.getOperator())) {
      case "In" -> value != null && values.contains(value);
      case "NotIn" -> value == null || !values.contains(value);
      case "Exists" -> value != null;
      case "DoesNotExist" -> value == null;
      // An operator Kubernetes does not know selects nothing: never more than was meant.
      default -> false;
    };
  }
}
