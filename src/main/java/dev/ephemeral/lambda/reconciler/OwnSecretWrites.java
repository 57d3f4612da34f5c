package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.secret.SecretWriter;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Optional;

/**
 * Tells the Secret informer about the operator's own writes, the way java-operator-sdk's dependent
 * resources do: an annotation naming the informer and the replaced version (so that the watch
 * event is recognised even when it arrives before the write returns), and the written Secret in
 * the informer's temporary cache. The operator's own Secret writes so start no reconcile.
 */
final class OwnSecretWrites implements SecretWriter.OwnWrites {

  private final InformerEventSource<Secret, LambdaInvocation> secrets;

  OwnSecretWrites(InformerEventSource<Secret, LambdaInvocation> secrets) {
    this.secrets = secrets;
  }

  @Override
  public void beforeWrite(Secret desired, String previousVersion) {
    secrets.addPreviousAnnotation(previousVersion, desired);
  }

  @Override
  public void afterWrite(Secret stored, Optional<Secret> replaced) {
    var id = ResourceID.fromResource(stored);
    replaced.ifPresentOrElse(
        previous -> secrets.handleRecentResourceUpdate(id, stored, previous),
        () -> secrets.handleRecentResourceCreate(id, stored));
  }
}
