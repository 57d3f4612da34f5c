package dev.ephemeral.lambda;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.Cloner;

/**
 * java-operator-sdk's copies of resources (one for each reconcile), made as it does by writing and
 * reading back JSON, except that a LambdaInvocation or LambdaInvocationPolicy whose stored spec did
 * not fit the model keeps its unreadable spec: JSON would turn it into an empty one, and the reason
 * would be lost.
 */
final class ResourceCloner implements Cloner {

  private final KubernetesClient client;

  ResourceCloner(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public <R extends HasMetadata> R clone(R object) {
    R copy = client.getKubernetesSerialization().clone(object);
    if (object instanceof LambdaInvocation original
        && copy instanceof LambdaInvocation cloned
        && original.getSpec() != null
        && original.getSpec().getUnreadable() != null) {
      cloned.setSpec(original.getSpec());
    }
    if (object instanceof LambdaInvocationPolicy original
        && copy instanceof LambdaInvocationPolicy cloned
        && original.getSpec() != null
        && original.getSpec().getUnreadable() != null) {
      cloned.setSpec(original.getSpec());
    }
    return copy;
  }
}
