package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import java.util.NoSuchElementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the whole status of the resource that was reconciled, and only of that one: with the
 * framework's update-and-cache, so the next reconcile sees this write even before the informer
 * does. The update carries the resourceVersion; on a conflict the framework takes the newer copy
 * from its cache and writes again, unless that copy is another object under the same name (deleted
 * and recreated meanwhile): a status never lands on a successor.
 */
final class StatusRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(StatusRecorder.class);
  private static final int HTTP_NOT_FOUND = 404;

  /** The status belongs to a resource that no longer exists. */
  private static final class Replaced extends RuntimeException {
    Replaced() {
      super("the resource was deleted or replaced", null, false, false);
    }
  }

  /**
   * Writes {@code next} as the status of {@code resource}.
   *
   * @return false when the resource is gone (deleted, or replaced by another of the same name), so
   *     the status has nowhere to go
   * @throws KubernetesClientException when the API refused or failed the write
   */
  boolean write(
      LambdaInvocation resource, Context<LambdaInvocation> context, LambdaInvocationStatus next) {
    String uid = resource.getMetadata().getUid();
    try {
      PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(
          resource,
          context,
          current -> {
            if (!uid.equals(current.getMetadata().getUid())) {
              throw new Replaced();
            }
            current.setStatus(next);
            return current;
          });
      return true;
    } catch (Replaced | NoSuchElementException e) {
      gone(resource);
      return false;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HTTP_NOT_FOUND) {
        gone(resource);
        return false;
      }
      throw e;
    }
  }

  private static void gone(LambdaInvocation resource) {
    LOG.atInfo()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .log("The resource was deleted meanwhile; its status is dropped");
  }
}
