package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Trigger;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Decides, from the resource, its status, its Secret, the values its payloadFrom read (their hash,
 * in the plan) and the clock alone, whether a reconcile
 * invokes, retires the Secret, or waits. Pure: no I/O, so every rule of "when the function is
 * invoked" is unit tested here. Everything it reads is kept in the cluster (the status, the
 * Secret), except whether this operator process has acted on the resource yet (trigger 5), so a
 * restarted operator decides as the one before it would have.
 */
public final class InvocationDecision {

  private InvocationDecision() {}

  /**
   * {@link #decide(LambdaInvocation, InvocationPlan, LambdaInvocationStatus, SecretState, boolean,
   * Instant)} when the target Secret is the written one and its version is unknown.
   */
  public static Decision decide(
      LambdaInvocation resource,
      InvocationPlan plan,
      LambdaInvocationStatus status,
      SecretObservation secret,
      boolean firstSinceStart,
      Instant now) {
    return decide(resource, plan, status, SecretState.of(secret), firstSinceStart, now);
  }

  /**
   * @param status the latest status (the operator's own last write, or the cached one), may be null
   * @param secrets what the Secret cache shows
   * @param firstSinceStart whether this is the first decision about the resource in this operator
   *     process (an operator start, or a leader takeover)
   */
  public static Decision decide(
      LambdaInvocation resource,
      InvocationPlan plan,
      LambdaInvocationStatus status,
      SecretState secrets,
      boolean firstSinceStart,
      Instant now) {
    SecretObservation secret = secrets.target();
    var s = status == null ? new LambdaInvocationStatus() : status;
    long generation = Optional.ofNullable(resource.getMetadata().getGeneration()).orElse(0L);

    if (!Objects.equals(s.getObservedGeneration(), generation)) {
      return new Decision.Invoke(Trigger.SPEC_CHANGED);
    }
    // Reached only when the policies allow the resource: one that was refused is invoked once.
    if (s.hasReason(ReadyReason.NotAllowed.name())) {
      return new Decision.Invoke(Trigger.POLICY_ALLOWED);
    }
    String request = resource.invokeRequest();
    if (request != null && !request.equals(s.getLastHandledInvokeRequest())) {
      return new Decision.Invoke(Trigger.INVOKE_REQUESTED);
    }
    // Like a spec change, new inputs make a new request: it is sent even to an expired resource
    // or one whose earlier request Lambda rejected. The hash of the values acted on is kept in the
    // status, whether that call succeeded or not, so each change invokes once.
    if (!Objects.equals(plan.inputsHash(), s.getInputsHash())) {
      return new Decision.Invoke(Trigger.INPUTS_CHANGED);
    }
    boolean rejected = Objects.equals(s.getRejectedGeneration(), generation);
    Optional<Instant> nextRefresh =
        plan.refreshInterval().isPresent() ? instant(s.getNextRefreshTime()) : Optional.empty();
    if (!rejected && nextRefresh.filter(t -> !now.isBefore(t)).isPresent()) {
      return new Decision.Invoke(Trigger.REFRESH_DUE);
    }
    if (s.hasReason(ReadyReason.Expired.name())) {
      // Expired lasts, across restarts too, until the spec, a refresh or a request revives it.
      // A refresh time already past here is suppressed (rejected): waiting for it would spin.
      return new Decision.Wait(nextRefresh.filter(now::isBefore));
    }
    // A failed later attempt does not replace the Secret, so its ttl still runs while it exists.
    boolean secretPresent = secrets.writtenSecretPresent();
    Optional<Instant> expiry =
        s.isReady() || secretPresent ? instant(s.getExpiryTime()) : Optional.empty();
    if (expiry.filter(t -> !now.isBefore(t)).isPresent()) {
      return new Decision.Retire();
    }
    if (rejected) {
      // A request Lambda rejected as bad is not sent again, not even by an operator start.
      return new Decision.Wait(expiry);
    }
    // Before the Secret triggers: a failed re-invocation leaves the Secret missing or changed, and
    // its retry must be counted as one, or the backoff would restart at every attempt.
    Optional<Instant> retryAt = instant(s.getNextRetryTime());
    if (retryAt.filter(t -> !now.isBefore(t)).isPresent()) {
      return new Decision.Invoke(Trigger.RETRY);
    }
    // Trigger 5, unless a retry is already scheduled: that one keeps its time and its count.
    if (firstSinceStart
        && plan.invokePolicy() == InvokePolicy.EveryReconcile
        && retryAt.isEmpty()) {
      return new Decision.Invoke(Trigger.OPERATOR_STARTED);
    }
    // A Secret past its expiry time is gone because the operator retired it, not deleted by anyone.
    boolean secretExpected =
        s.getLastInvocationTime() != null
            && plan.secretName().equals(s.getSecretName())
            && instant(s.getExpiryTime()).filter(t -> !now.isBefore(t)).isEmpty();
    // A Secret trigger acts once per state of the Secret: if that invocation and its retries
    // failed, the same missing or changed Secret does not invoke again until it changes again.
    boolean actedOn =
        secrets.version() != null && secrets.version().equals(s.getLastHandledSecretVersion());
    if (secretExpected && secret == SecretObservation.ABSENT && !actedOn) {
      return new Decision.Invoke(Trigger.SECRET_DELETED);
    }
    if (secret == SecretObservation.TAMPERED && !actedOn) {
      return new Decision.Invoke(Trigger.SECRET_CHANGED);
    }
    return new Decision.Wait(
        Stream.of(nextRefresh, expiry, retryAt).flatMap(Optional::stream).min(Instant::compareTo));
  }

  private static Optional<Instant> instant(String rfc3339) {
    return WakeUp.instant(rfc3339);
  }
}
