package dev.ephemeral.lambda.sandbox;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Says in words why the in-process API did not take an object, in one line. */
final class ApplyFailure {

  private ApplyFailure() {}

  static String describe(GenericKubernetesResource object, KubernetesClientException e) {
    String what = "cannot apply " + object.getKind() + " " + SandboxReport.key(object) + ": ";
    int code = e.getCode();
    if (code == 409) {
      return what + "it already exists (HTTP 409)";
    }
    if (code > 0) {
      String message =
          e.getStatus() == null || e.getStatus().getMessage() == null
              ? "the in-process Kubernetes API refused it"
              : e.getStatus().getMessage().lines().findFirst().orElse("");
      return what + message + " (HTTP " + code + ")";
    }
    if (String.valueOf(e.getMessage()).startsWith("Could not find a registered handler")) {
      return what
          + "the in-process Kubernetes API does not serve kind "
          + object.getKind()
          + " with apiVersion "
          + object.getApiVersion();
    }
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return what
        + "the in-process Kubernetes API gave no answer ("
        + root.getClass().getSimpleName()
        + ")";
  }
}
