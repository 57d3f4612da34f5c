package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/** Creates the manifests' objects in the in-process API, as kubectl apply would on a cluster. */
final class ManifestApply {

  private ManifestApply() {}

  /**
   * Refuses the kinds the in-process API does not serve, and takes the namespace off cluster-scoped
   * objects (as the API server ignores it); namespaced objects keep theirs or get {@code default}.
   */
  static void placeInNamespaces(ApiKinds kinds, List<GenericKubernetesResource> objects)
      throws ManifestException {
    for (GenericKubernetesResource object : objects) {
      if (!kinds.isNamespaced(object)) {
        object.getMetadata().setNamespace(null);
      }
    }
  }

  static void apply(KubernetesClient client, List<GenericKubernetesResource> objects)
      throws ManifestException {
    Set<String> namespaces =
        objects.stream()
            .map(o -> o.getMetadata().getNamespace())
            .filter(Objects::nonNull)
            .collect(Collectors.toSet());
    for (String namespace : namespaces) {
      if (objects.stream()
          .noneMatch(
              o ->
                  "Namespace".equals(o.getKind()) && namespace.equals(o.getMetadata().getName()))) {
        if (client.namespaces().withName(namespace).get() == null) {
          client
              .namespaces()
              .resource(
                  new NamespaceBuilder()
                      .withNewMetadata()
                      .withName(namespace)
                      .endMetadata()
                      .build())
              .create();
        }
      }
    }
    for (GenericKubernetesResource object : objects) {
      try {
        client.resource(object).create();
      } catch (KubernetesClientException e) {
        throw new ManifestException(ApplyFailure.describe(object, e));
      }
    }
  }
}
