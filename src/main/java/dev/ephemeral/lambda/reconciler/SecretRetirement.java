package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.secret.SecretWriter;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes a result Secret whose time is up: at its ttl (the resource is then Expired, and stays so
 * until a spec change, a refresh or an invoke request), or at once when no policy allows its
 * resource any more and one says revoke. Never invokes.
 */
final class SecretRetirement {

  private static final Logger LOG = LoggerFactory.getLogger(SecretRetirement.class);

  private final SecretWriter writer;
  private final InvocationObserver observer;

  SecretRetirement(SecretWriter writer, InvocationObserver observer) {
    this.writer = writer;
    this.observer = observer;
  }

  /** The decision says the ttl passed: the Secret goes and the resource is Expired. */
  Outcome expire(LambdaInvocation resource, InvocationPlan plan) {
    LambdaInvocationStatus status = resource.getStatus();
    retire(resource, Objects.requireNonNullElse(status.getSecretName(), plan.secretName()), status);
    return Outcome.status(StatusFactory::expired);
  }

  /**
   * A resource that is not invoked (an invalid spec, missing inputs, not allowed) keeps the ttl of
   * the Secret written before: it goes once its time is up, without another status change.
   */
  void retireIfExpired(LambdaInvocation resource, Instant now) {
    LambdaInvocationStatus status = resource.getStatus();
    if (status == null || status.getSecretName() == null) {
      return;
    }
    if (WakeUp.instant(status.getExpiryTime()).filter(t -> !now.isBefore(t)).isPresent()) {
      retire(resource, status.getSecretName(), status);
    }
  }

  /** No policy allows the resource, and one says revoke: its Secret goes now. */
  void revoke(LambdaInvocation resource) {
    LambdaInvocationStatus status = resource.getStatus();
    String secretName = status == null ? null : status.getSecretName();
    if (secretName != null
        && writer.deleteIfControlled(namespace(resource), secretName, resource)) {
      LOG.atInfo()
          .addKeyValue(NAMESPACE, namespace(resource))
          .addKeyValue(NAME, resource.getMetadata().getName())
          .addKeyValue(SECRET, secretName)
          .log("Secret deleted: no policy allows its resource, and one says revoke");
    }
  }

  private void retire(LambdaInvocation resource, String secretName, LambdaInvocationStatus status) {
    if (writer.deleteIfControlled(namespace(resource), secretName, resource)) {
      observer.secretExpired(
          resource,
          "Secret " + secretName + " expired at " + status.getExpiryTime() + " and was deleted");
      LOG.atInfo()
          .addKeyValue(NAMESPACE, namespace(resource))
          .addKeyValue(NAME, resource.getMetadata().getName())
          .addKeyValue(SECRET, secretName)
          .log("Secret expired and was deleted");
    }
  }

  private static String namespace(LambdaInvocation resource) {
    return resource.getMetadata().getNamespace();
  }
}
