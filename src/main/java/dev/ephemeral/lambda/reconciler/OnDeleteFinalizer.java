package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.model.InvocationPlan;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The finalizer that a resource carries exactly while its spec asks for a call at deletion
 * (spec.onDelete). The reconciler manages it itself rather than through the framework's {@code
 * Cleaner}, which would put a finalizer on every resource.
 */
final class OnDeleteFinalizer {

  /** Held on a LambdaInvocation with spec.onDelete until its delete-time call is done. */
  static final String NAME = LambdaInvocation.GROUP + "/on-delete";

  private static final Logger LOG = LoggerFactory.getLogger(OnDeleteFinalizer.class);
  private static final int HTTP_NOT_FOUND = 404;
  private static final int HTTP_CONFLICT = 409;
  private static final int MAX_PATCH_ATTEMPTS = 10;

  private OnDeleteFinalizer() {}

  /**
   * On a live resource with a valid spec: adds the finalizer when spec.onDelete is set and removes
   * it when not, before any call is made, so a call that hands something out is always followed by
   * its delete-time call. {@code resource} is updated to the version written.
   */
  static void keep(
      LambdaInvocation resource, Context<LambdaInvocation> context, InvocationPlan plan) {
    boolean wanted = plan.onDeletePayload().isPresent();
    if (wanted == resource.hasFinalizer(NAME)) {
      return;
    }
    LambdaInvocation written =
        PrimaryUpdateAndCacheUtils.updateAndCacheResource(
            resource,
            context,
            r -> {
              if (wanted) {
                r.addFinalizer(NAME);
              } else {
                r.removeFinalizer(NAME);
              }
              return r;
            },
            r -> patchFinalizers(context.getClient(), r));
    resource.getMetadata().setResourceVersion(written.getMetadata().getResourceVersion());
    LOG.atInfo()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(LogKeys.NAME, resource.getMetadata().getName())
        .log(wanted ? "Finalizer added for spec.onDelete" : "Finalizer removed: no spec.onDelete");
  }

  /**
   * Removes the finalizer from a resource being deleted; the API server then deletes it, so the
   * answer is not cached. A conflict reads the resource again; a resource already gone is done.
   */
  static void remove(KubernetesClient client, LambdaInvocation resource) {
    LambdaInvocation current = resource;
    for (int attempt = 1; ; attempt++) {
      if (current == null
          || !Objects.equals(current.getMetadata().getUid(), resource.getMetadata().getUid())
          || !current.hasFinalizer(NAME)) {
        return;
      }
      current.removeFinalizer(NAME);
      try {
        patchFinalizers(client, current);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == HTTP_NOT_FOUND) {
          return;
        }
        if (e.getCode() != HTTP_CONFLICT || attempt == MAX_PATCH_ATTEMPTS) {
          throw e;
        }
      }
      current =
          client
              .resources(LambdaInvocation.class)
              .inNamespace(resource.getMetadata().getNamespace())
              .withName(resource.getMetadata().getName())
              .get();
    }
  }

  /**
   * Writes the finalizers of {@code resource}, and nothing else, with a JSON Patch that also sets
   * the resourceVersion it was read at, so a concurrent change is a conflict instead of lost.
   */
  private static LambdaInvocation patchFinalizers(
      KubernetesClient client, LambdaInvocation resource) {
    List<String> finalizers = new ArrayList<>(resource.getMetadata().getFinalizers());
    String patch =
        client
            .getKubernetesSerialization()
            .asJson(
                List.of(
                    Map.of(
                        "op",
                        "replace",
                        "path",
                        "/metadata/resourceVersion",
                        "value",
                        resource.getMetadata().getResourceVersion()),
                    Map.of("op", "add", "path", "/metadata/finalizers", "value", finalizers)));
    return client
        .resources(LambdaInvocation.class)
        .inNamespace(resource.getMetadata().getNamespace())
        .withName(resource.getMetadata().getName())
        .patch(PatchContext.of(PatchType.JSON), patch);
  }
}
