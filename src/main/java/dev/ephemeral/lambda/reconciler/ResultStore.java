package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryClass;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.secret.ResultSecret;
import dev.ephemeral.lambda.secret.SecretWriter;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores a successful invocation's result: builds its Secret, writes it, and deletes the Secrets
 * of earlier names. Its outcome is the written Secret, or why nothing was written.
 */
final class ResultStore {

  private static final Logger LOG = LoggerFactory.getLogger(ResultStore.class);

  /**
   * What storing gave: nothing is written when {@code failure} is present.
   *
   * @param dataChanged whether the write changed the Secret's data: it created the Secret, or
   *     replaced data that differed (a refresh returning the same data does not change it, and
   *     neither does the previous values it keeps or no longer keeps)
   */
  record Stored(
      Optional<Secret> secret, Optional<InvocationResult.Failed> failure, boolean dataChanged) {
    static Stored written(SecretWriter.Written written) {
      boolean changed =
          written.replaced().isEmpty()
              || !Objects.equals(
                  dataOf(written.replaced().get()), dataOf(written.stored()));
      return new Stored(Optional.of(written.stored()), Optional.empty(), changed);
    }

    static Stored failed(InvocationResult.Failed failure) {
      return new Stored(Optional.empty(), Optional.of(failure), false);
    }

    private static Map<String, String> dataOf(Secret secret) {
      return new java.util.TreeMap<>(ResultSecret.currentData(secret));
    }
  }

  private final ResultSecret resultSecret;
  private final SecretWriter writer;

  ResultStore(ResultSecret resultSecret, SecretWriter writer) {
    this.resultSecret = resultSecret;
    this.writer = writer;
  }

  /**
   * @param owner the resource as it was when the call was decided
   * @param existing the Secret of that name before the call, if any
   * @param controlled every Secret the owner controls now; all but the new one are deleted once
   *     it is written
   * @param statusSecret the Secret the status names (an earlier name, perhaps)
   */
  Stored store(
      LambdaInvocation owner,
      InvocationPlan plan,
      InvocationResult.Succeeded result,
      Optional<Secret> existing,
      Instant invokedAt,
      Collection<Secret> controlled,
      String statusSecret) {
    var build = resultSecret.build(owner, plan, result, invokedAt);
    if (build instanceof ResultSecret.Rejected rejected) {
      return Stored.failed(
          new InvocationResult.Failed(rejected.reason(), RetryClass.ON_TRIGGER, rejected.message()));
    }
    Secret desired =
        resultSecret.withPreviousValues(
            ((ResultSecret.Built) build).secret(),
            existing,
            owner,
            invokedAt,
            plan.previousValueRetention());
    Optional<SecretWriter.Written> written;
    try {
      written = writer.write(desired, existing, owner);
    } catch (KubernetesClientException e) {
      return Stored.failed(writeFailure(plan, e));
    }
    if (written.isEmpty()) {
      return Stored.failed(conflict(plan.secretName()));
    }
    // Secrets of earlier names (the one the status named, and any whose delete failed before)
    // go once the new one is written.
    Set<String> earlier = new TreeSet<>();
    if (statusSecret != null) {
      earlier.add(statusSecret);
    }
    controlled.forEach(s -> earlier.add(s.getMetadata().getName()));
    earlier.remove(plan.secretName());
    earlier.forEach(name -> deleteQuietly(owner, name));
    return Stored.written(written.get());
  }

  /** A Secret of the planned name exists and is not the resource's: nothing is invoked or written. */
  static InvocationResult.Failed conflict(String secretName) {
    return new InvocationResult.Failed(
        ReadyReason.SecretConflict,
        RetryClass.SLOW,
        "Secret "
            + secretName
            + " exists and is not controlled by this LambdaInvocation;"
            + " it was left untouched: delete it, or set spec.secret.name to another name");
  }

  /**
   * The function ran but its result could not be stored. A rejected write (4xx: invalid object,
   * quota, permissions) would be rejected again, so another run waits for a trigger; a conflict
   * that outlasted the writer's own retries, API throttling, a server or connection failure is
   * retried with backoff.
   */
  private static InvocationResult.Failed writeFailure(
      InvocationPlan plan, KubernetesClientException e) {
    int code = e.getCode();
    boolean rejected = code >= 400 && code < 500 && code != 409 && code != 429;
    return new InvocationResult.Failed(
        ReadyReason.InvocationFailed,
        rejected ? RetryClass.ON_TRIGGER : RetryClass.BACKOFF,
        "the result could not be written to Secret "
            + plan.secretName()
            + " (HTTP "
            + code
            + (e.getStatus() == null || e.getStatus().getReason() == null
                ? ""
                : " " + e.getStatus().getReason())
            + ")");
  }

  /** Deletes a Secret the operator replaced; a failure only leaves it to a later write. */
  private void deleteQuietly(LambdaInvocation owner, String secretName) {
    try {
      writer.deleteIfControlled(owner.getMetadata().getNamespace(), secretName, owner);
    } catch (KubernetesClientException e) {
      LOG.atWarn()
          .addKeyValue(NAMESPACE, owner.getMetadata().getNamespace())
          .addKeyValue(NAME, owner.getMetadata().getName())
          .addKeyValue(SECRET, secretName)
          .addKeyValue("httpCode", e.getCode())
          .log("Could not delete the Secret the spec no longer names");
    }
  }
}
