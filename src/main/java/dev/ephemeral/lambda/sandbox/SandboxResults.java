package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.RolloutRestartTarget;
import dev.ephemeral.lambda.secret.SecretLayout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads back from the in-process API what the operator made of the files: the LambdaInvocations,
 * their Secrets and the workloads their rolloutRestartTargets name.
 */
final class SandboxResults {

  private SandboxResults() {}

  /** Whether every expected LambdaInvocation exists and has reached a state it will stay in. */
  static boolean allSettled(KubernetesClient client, Map<String, Expectation> expectations) {
    List<LambdaInvocation> current = invocations(client, expectations.keySet());
    return current.size() == expectations.size()
        && current.stream().allMatch(i -> expectations.get(SandboxReport.key(i)).isSettled(i));
  }

  static List<LambdaInvocation> invocations(KubernetesClient client, Set<String> keys) {
    return client.resources(LambdaInvocation.class).inAnyNamespace().list().getItems().stream()
        .filter(i -> keys.contains(SandboxReport.key(i)))
        .sorted(Comparator.comparing(SandboxReport::key))
        .toList();
  }

  static Map<String, Secret> secrets(KubernetesClient client, List<LambdaInvocation> invocations) {
    Map<String, Secret> byInvocation = new HashMap<>();
    for (Secret secret :
        client
            .secrets()
            .inAnyNamespace()
            .withLabel(SecretLayout.MANAGED_BY_LABEL, SecretLayout.MANAGED_BY_VALUE)
            .list()
            .getItems()) {
      var refs = secret.getMetadata().getOwnerReferences();
      for (LambdaInvocation invocation : invocations) {
        boolean owned =
            refs != null
                && refs.stream()
                    .anyMatch(r -> invocation.getMetadata().getUid().equals(r.getUid()));
        if (owned
            && secret
                .getMetadata()
                .getNamespace()
                .equals(invocation.getMetadata().getNamespace())) {
          byInvocation.put(SandboxReport.key(invocation), secret);
        }
      }
    }
    return byInvocation;
  }

  /**
   * The workloads the LambdaInvocations' secret.rolloutRestartTargets name, those that exist, each
   * once: the report shows their pod template's restart annotation.
   */
  static List<HasMetadata> restartTargets(
      KubernetesClient client, List<LambdaInvocation> invocations) {
    Map<String, HasMetadata> targets = new LinkedHashMap<>();
    for (LambdaInvocation invocation : invocations) {
      var secret = invocation.getSpec().getSecret();
      if (secret == null || secret.getRolloutRestartTargets() == null) {
        continue;
      }
      String namespace = invocation.getMetadata().getNamespace();
      for (RolloutRestartTarget target : secret.getRolloutRestartTargets()) {
        String id = namespace + "/" + target.getKind() + "/" + target.getName();
        if (targets.containsKey(id)) {
          continue;
        }
        GenericKubernetesResource workload =
            client
                .genericKubernetesResources("apps/v1", target.getKind())
                .inNamespace(namespace)
                .withName(target.getName())
                .get();
        if (workload != null) {
          targets.put(id, workload);
        }
      }
    }
    return List.copyOf(targets.values());
  }
}
