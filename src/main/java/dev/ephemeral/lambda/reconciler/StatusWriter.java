package dev.ephemeral.lambda.reconciler;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * Writes the whole status subresource with one JSON Patch "add /status" (which replaces it). No
 * resourceVersion is sent, so a concurrent spec or annotation change never makes a status write
 * fail (the operator is the status's only writer); no merge semantics, so cleared fields and the
 * conditions list come out exactly as built.
 */
final class StatusWriter {

  private final KubernetesClient client;

  StatusWriter(KubernetesClient client) {
    this.client = client;
  }

  void write(LambdaInvocation resource, LambdaInvocationStatus status) {
    ObjectNode operation = JsonNodeFactory.instance.objectNode();
    operation.put("op", "add");
    operation.put("path", "/status");
    operation.set(
        "value", client.getKubernetesSerialization().convertValue(status, ObjectNode.class));
    ArrayNode patch = JsonNodeFactory.instance.arrayNode().add(operation);
    client
        .resources(LambdaInvocation.class)
        .inNamespace(resource.getMetadata().getNamespace())
        .withName(resource.getMetadata().getName())
        .subresource("status")
        .patch(PatchContext.of(PatchType.JSON), patch.toString());
  }
}
