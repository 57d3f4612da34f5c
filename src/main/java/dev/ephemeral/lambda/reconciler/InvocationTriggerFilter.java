package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Objects;

/**
 * Lets through only the updates of a LambdaInvocation that are triggers: a new generation (spec
 * change), a new invoke-requested-at value, which does not bump the generation, or the start of
 * its deletion (for spec.onDelete's call). Status writes, finalizer, label edits and the like never
 * start a reconcile.
 */
public class InvocationTriggerFilter implements OnUpdateFilter<LambdaInvocation> {

  @Override
  public boolean accept(LambdaInvocation newResource, LambdaInvocation oldResource) {
    return !Objects.equals(
            newResource.getMetadata().getGeneration(), oldResource.getMetadata().getGeneration())
        || !Objects.equals(newResource.invokeRequest(), oldResource.invokeRequest())
        || (newResource.isMarkedForDeletion() && !oldResource.isMarkedForDeletion());
  }
}
