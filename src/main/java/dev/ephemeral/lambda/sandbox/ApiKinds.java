package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Optional;

/**
 * The kinds the in-process API serves: the built-in Kubernetes kinds fabric8 models, and the kinds
 * of the CRDs registered with it (LambdaInvocation). An object of any other apiVersion and kind is
 * refused in words, as {@code kubectl apply} refuses it ("no matches for kind").
 */
final class ApiKinds {

  /** The version names Kubernetes gives its APIs, to find where a misversioned kind is served. */
  private static final List<String> VERSIONS =
      List.of(
          "v1",
          "v1beta1",
          "v1beta2",
          "v1beta3",
          "v1alpha1",
          "v1alpha2",
          "v1alpha3",
          "v2",
          "v2beta1",
          "v2beta2",
          "v2alpha1",
          "v3");

  private static final String OWN_API_VERSION =
      LambdaInvocation.GROUP + "/" + LambdaInvocation.VERSION;

  private final KubernetesClient client;
  private final KubernetesSerialization builtIn = SandboxJson.kubernetesSerialization();

  ApiKinds(KubernetesClient client) {
    this.client = client;
  }

  /**
   * Whether objects of this apiVersion and kind live in a namespace.
   *
   * @throws ManifestException naming what is unknown, when the in-process API does not serve it
   */
  boolean isNamespaced(GenericKubernetesResource object) throws ManifestException {
    String apiVersion = object.getApiVersion();
    String kind = object.getKind();
    Class<? extends KubernetesResource> type =
        builtIn.getRegisteredKubernetesResource(apiVersion, kind);
    if (type != null) {
      return ResourceDefinitionContext.fromResourceType(type).isNamespaceScoped();
    }
    Optional<APIResource> served = served(apiVersion, kind);
    if (served.isPresent()) {
      return Boolean.TRUE.equals(served.get().getNamespaced());
    }
    throw new ManifestException(
        "cannot apply "
            + kind
            + " "
            + SandboxReport.key(object)
            + ": "
            + unknown(apiVersion, kind));
  }

  private String unknown(String apiVersion, String kind) {
    Optional<String> elsewhere = servedVersion(apiVersion, kind);
    if (elsewhere.isPresent()) {
      return "unknown apiVersion "
          + apiVersion
          + " for kind "
          + kind
          + "; the sandbox serves "
          + kind
          + " as "
          + elsewhere.get();
    }
    Optional<String> spelled =
        resources(apiVersion).stream()
            .map(APIResource::getKind)
            .filter(k -> k.equalsIgnoreCase(kind))
            .findFirst();
    if (spelled.isPresent()) {
      return "unknown kind "
          + kind
          + " with apiVersion "
          + apiVersion
          + "; kinds are case-sensitive: did you mean "
          + spelled.get()
          + "?";
    }
    return "unknown kind "
        + kind
        + " with apiVersion "
        + apiVersion
        + "; the sandbox knows only the built-in Kubernetes kinds and LambdaInvocation ("
        + OWN_API_VERSION
        + ")";
  }

  /** Another apiVersion of the same group that serves this kind. */
  private Optional<String> servedVersion(String apiVersion, String kind) {
    int slash = apiVersion.lastIndexOf('/');
    String groupPrefix = slash < 0 ? "" : apiVersion.substring(0, slash + 1);
    for (String version : VERSIONS) {
      String candidate = groupPrefix + version;
      if (!candidate.equals(apiVersion)
          && (builtIn.getRegisteredKubernetesResource(candidate, kind) != null
              || served(candidate, kind).isPresent())) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private Optional<APIResource> served(String apiVersion, String kind) {
    return resources(apiVersion).stream().filter(r -> kind.equals(r.getKind())).findFirst();
  }

  /** What the in-process API's discovery lists for a group version (it lists only CRDs). */
  private List<APIResource> resources(String apiVersion) {
    if (!apiVersion.contains("/")) {
      return List.of();
    }
    APIResourceList list = client.getApiResources(apiVersion);
    return list == null || list.getResources() == null ? List.of() : list.getResources();
  }
}
