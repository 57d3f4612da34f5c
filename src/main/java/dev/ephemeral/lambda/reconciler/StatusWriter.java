package dev.ephemeral.lambda.reconciler;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;

/**
 * Writes the status subresource with a JSON merge patch of the whole status. Cleared fields are
 * sent as explicit nulls; no resourceVersion is sent, so a concurrent spec or annotation change
 * never makes a status write fail (the operator is the status's only writer).
 */
final class StatusWriter {

  private static final List<String> FIELDS =
      List.of(
          "observedGeneration",
          "statusCode",
          "executedVersion",
          "secretName",
          "lastInvocationTime",
          "nextRefreshTime",
          "expiryTime",
          "lastHandledInvokeRequest",
          "conditions");

  private final KubernetesClient client;

  StatusWriter(KubernetesClient client) {
    this.client = client;
  }

  void write(LambdaInvocation resource, LambdaInvocationStatus status) {
    ObjectNode statusNode = client.getKubernetesSerialization().convertValue(status, ObjectNode.class);
    FIELDS.forEach(
        field -> {
          if (!statusNode.has(field)) {
            statusNode.putNull(field);
          }
        });
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    patch.set("status", statusNode);
    client
        .resources(LambdaInvocation.class)
        .inNamespace(resource.getMetadata().getNamespace())
        .withName(resource.getMetadata().getName())
        .subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
  }
}
