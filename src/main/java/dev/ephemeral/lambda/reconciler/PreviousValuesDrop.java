package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.secret.ResultSecret;
import dev.ephemeral.lambda.secret.SecretWriter;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops the previous values spec.secret.previousValueRetention kept, once their time (in the
 * status, so it outlives the operator process) is up: the Secret is rewritten without its {@code
 * .previous} keys. Never invokes, and restarts no workload: the values pods use did not change.
 */
final class PreviousValuesDrop {

  private static final Logger LOG = LoggerFactory.getLogger(PreviousValuesDrop.class);

  private final ResultSecrets secrets;
  private final SecretWriter writer;
  private final ResultSecret resultSecret;

  PreviousValuesDrop(ResultSecrets secrets, SecretWriter writer, ResultSecret resultSecret) {
    this.secrets = secrets;
    this.writer = writer;
    this.resultSecret = resultSecret;
  }

  /** The outcome of a drop that was due; empty when none is. */
  Optional<Outcome> dropIfDue(LambdaInvocation resource, Instant now) {
    LambdaInvocationStatus status = resource.getStatus();
    if (status == null
        || WakeUp.instant(status.getPreviousValuesExpiryTime())
            .filter(t -> !now.isBefore(t))
            .isEmpty()) {
      return Optional.empty();
    }
    Optional<Secret> secret =
        status.getSecretName() == null
            ? Optional.empty()
            : secrets.intact(resource, status.getSecretName());
    String droppedHash = secret.map(ResultSecret::dataHashOf).orElse(null);
    String newHash = null;
    if (secret.isPresent() && ResultSecret.previousValuesExpiry(secret.get()).isPresent()) {
      Secret without = resultSecret.withoutPreviousValues(secret.get());
      newHash =
          writer
              .write(without, secret, resource)
              .map(w -> ResultSecret.dataHashOf(w.stored()))
              .orElse(null);
      LOG.atInfo()
          .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
          .addKeyValue(NAME, resource.getMetadata().getName())
          .addKeyValue(SECRET, status.getSecretName())
          .log("The Secret's previous values are dropped: their retention is over");
    }
    // Without the Secret (deleted, edited, replaced), nothing is left to drop: the time goes.
    String replacement = newHash;
    return Optional.of(
        Outcome.status(
            (r, current, at) ->
                StatusFactory.previousValuesDropped(current, droppedHash, replacement)));
  }
}
