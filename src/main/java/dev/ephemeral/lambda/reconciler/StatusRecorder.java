package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.InvocationCondition;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationObserver;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a reconcile's outcome is recorded: it builds the next status, says so when a new
 * failure appears (a Warning Event and a log line, once per change of the Ready condition), writes
 * the status once, and computes the next wake-up from the status written.
 *
 * <p>The write is the framework's update-and-cache, so the next reconcile sees it even before the
 * informer does. It carries the resourceVersion; on a conflict the framework takes the newer copy
 * from its cache and writes again, unless that copy is another object under the same name (deleted
 * and recreated meanwhile): a status never lands on a successor. A write the API refuses or fails
 * is an error of the reconcile, which the framework retries with its backoff.
 */
final class StatusRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(StatusRecorder.class);
  private static final int HTTP_NOT_FOUND = 404;

  private final InvocationObserver observer;
  private final Clock clock;

  StatusRecorder(InvocationObserver observer, Clock clock) {
    this.observer = observer;
    this.clock = clock;
  }

  /** The status belongs to a resource that no longer exists. */
  private static final class Replaced extends RuntimeException {
    Replaced() {
      super("the resource was deleted or replaced", null, false, false);
    }
  }

  /**
   * Records {@code outcome}. The status is built right before it is written, so the times in it
   * (a retry's, a refresh's) count from the write.
   *
   * @param decidedAt when the reconcile read the clock to decide: the status's times up to then
   *     were decided on (see {@link Outcome.Wake})
   * @throws KubernetesClientException when the API refused or failed the status write
   */
  UpdateControl<LambdaInvocation> record(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Outcome outcome,
      Instant decidedAt) {
    Instant now = clock.instant();
    LambdaInvocationStatus previous = resource.getStatus();
    LambdaInvocationStatus next = outcome.status().apply(resource, previous, now);
    Optional<LambdaInvocation> written = Optional.of(resource);
    if (!Objects.equals(next, previous)) {
      reportNewFailure(resource, previous, next);
      written = write(resource, context, next);
    }
    outcome.afterWrite().accept(written.orElse(resource));
    if (written.isEmpty()) {
      return UpdateControl.noUpdate();
    }
    Optional<Duration> wake =
        switch (outcome.wake()) {
          case NOW -> Optional.of(WakeUp.MARGIN);
          case ALL_TIMES -> WakeUp.after(next, Instant.MIN, now);
          case AS_DECIDED -> WakeUp.after(next, decidedAt, now);
        };
    UpdateControl<LambdaInvocation> control = UpdateControl.noUpdate();
    wake.ifPresent(control::rescheduleAfter);
    return control;
  }

  /**
   * A Warning Event and a log line when the Ready condition turns to a failure or its message
   * changes; not for each slow retry of the same failure, and not for an expiry (which has its
   * own Event).
   */
  private void reportNewFailure(
      LambdaInvocation resource, LambdaInvocationStatus previous, LambdaInvocationStatus next) {
    Optional<InvocationCondition> ready = next == null ? Optional.empty() : next.readyCondition();
    if (ready.isEmpty()
        || "True".equals(ready.get().getStatus())
        || ReadyReason.Expired.name().equals(ready.get().getReason())) {
      return;
    }
    Optional<InvocationCondition> before =
        previous == null ? Optional.empty() : previous.readyCondition();
    if (before.isPresent()
        && Objects.equals(before.get().getReason(), ready.get().getReason())
        && Objects.equals(before.get().getMessage(), ready.get().getMessage())) {
      return;
    }
    ReadyReason reason = ReadyReason.valueOf(ready.get().getReason());
    LOG.atWarn()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .addKeyValue(REASON, reason)
        .log("Not ready: {}", ready.get().getMessage());
    observer.failed(resource, reason, ready.get().getMessage());
  }

  /**
   * Writes {@code next} as the status of {@code resource}.
   *
   * @return the resource as written; empty when it is gone (deleted, or replaced by another of
   *     the same name), so the status has nowhere to go
   */
  private static Optional<LambdaInvocation> write(
      LambdaInvocation resource, Context<LambdaInvocation> context, LambdaInvocationStatus next) {
    String uid = resource.getMetadata().getUid();
    try {
      return Optional.of(
          PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(
              resource,
              context,
              current -> {
                if (!uid.equals(current.getMetadata().getUid())) {
                  throw new Replaced();
                }
                current.setStatus(next);
                return current;
              }));
    } catch (Replaced | NoSuchElementException e) {
      return gone(resource);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HTTP_NOT_FOUND) {
        return gone(resource);
      }
      throw e;
    }
  }

  private static Optional<LambdaInvocation> gone(LambdaInvocation resource) {
    LOG.atInfo()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .log("The resource was deleted meanwhile; its status is dropped");
    return Optional.empty();
  }
}
