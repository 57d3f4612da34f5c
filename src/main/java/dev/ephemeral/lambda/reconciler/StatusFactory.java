package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.InvocationCondition;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.OnDeleteStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult.Succeeded;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.InvocationPlan;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builds the next status from the previous one and what just happened. Pure. */
public final class StatusFactory {

  private StatusFactory() {}

  public static LambdaInvocationStatus succeeded(
      LambdaInvocation resource,
      LambdaInvocationStatus previous,
      InvocationPlan plan,
      Succeeded result,
      Instant invokedAt) {
    var next = copyOf(previous);
    next.setObservedGeneration(resource.getMetadata().getGeneration());
    next.setLastHandledInvokeRequest(resource.invokeRequest());
    next.setStatusCode(result.statusCode());
    next.setExecutedVersion(result.executedVersion());
    next.setSecretName(plan.secretName());
    next.setLastInvocationTime(format(invokedAt));
    next.setNextRefreshTime(
        plan.refreshInterval().map(invokedAt::plus).map(StatusFactory::format).orElse(null));
    next.setExpiryTime(plan.ttl().map(invokedAt::plus).map(StatusFactory::format).orElse(null));
    next.setRejectedGeneration(null);
    next.setLastHandledSecretVersion(null);
    next.setInputsHash(plan.inputsHash());
    return withReady(
        next,
        previous,
        resource,
        true,
        ReadyReason.Invoked,
        "result written to Secret " + plan.secretName(),
        invokedAt,
        false);
  }

  /**
   * A result spec.successCondition rejects, written to the Secret all the same as the spec asks
   * (writeRejectedResult): the Secret's fields as for a success, Ready=False ConditionNotMet, and
   * no retry until the next trigger.
   */
  public static LambdaInvocationStatus writtenButRejected(
      LambdaInvocation resource,
      LambdaInvocationStatus previous,
      InvocationPlan plan,
      Succeeded result,
      Instant invokedAt,
      String message,
      Instant now) {
    var written = succeeded(resource, previous, plan, result, invokedAt);
    return withReady(
        written,
        previous,
        resource,
        false,
        ReadyReason.ConditionNotMet,
        message + "; not retried until the next trigger",
        now,
        false);
  }

  /** {@code status} with the statusCode and executedVersion of a call that returned normally. */
  public static LambdaInvocationStatus withCall(LambdaInvocationStatus status, Succeeded result) {
    status.setStatusCode(result.statusCode());
    status.setExecutedVersion(result.executedVersion());
    return status;
  }

  /** A failed attempt with no automatic retry: the Secret (and the fields describing it) stay. */
  public static LambdaInvocationStatus failed(
      LambdaInvocation resource,
      LambdaInvocationStatus previous,
      Optional<InvocationPlan> plan,
      ReadyReason reason,
      String message,
      Instant now) {
    return failed(
        resource,
        previous,
        plan,
        reason,
        message,
        now,
        RetryPolicy.Retry.NONE,
        previous == null ? null : previous.getLastHandledSecretVersion());
  }

  /**
   * A failed attempt and what follows it: the retry (its count and time, which tell Argo CD and
   * kstatus "still trying" from "needs you"), and the Secret state it acted on.
   *
   * @param message the failure, to which the retry's note is appended
   * @param handledSecretVersion the Secret state this attempt acted on (see {@link
   *     SecretState#version()}), so that the same deleted or edited Secret triggers only once
   */
  public static LambdaInvocationStatus failed(
      LambdaInvocation resource,
      LambdaInvocationStatus previous,
      Optional<InvocationPlan> plan,
      ReadyReason reason,
      String message,
      Instant now,
      RetryPolicy.Retry retry,
      String handledSecretVersion) {
    var next = copyOf(previous);
    next.setObservedGeneration(resource.getMetadata().getGeneration());
    next.setLastHandledInvokeRequest(resource.invokeRequest());
    // A failing function is not called at the refresh's pace: the refresh waits for the backoff.
    next.setNextRefreshTime(
        plan.flatMap(InvocationPlan::refreshInterval)
            .map(refresh -> refresh.compareTo(retry.refreshHoldOff()) < 0 ? retry.refreshHoldOff() : refresh)
            .map(now::plus)
            .map(StatusFactory::format)
            .orElse(null));
    next.setNextRetryTime(retry.nextRetryAt() == null ? null : format(retry.nextRetryAt()));
    next.setFailedAttempts(retry.failedAttempts());
    next.setThrottledAttempts(retry.throttledAttempts());
    next.setRejectedGeneration(
        retry.rejectsGeneration() ? resource.getMetadata().getGeneration() : null);
    next.setLastHandledSecretVersion(handledSecretVersion);
    // The inputs this attempt acted on: the same values do not trigger again.
    plan.ifPresent(p -> next.setInputsHash(p.inputsHash()));
    return withReady(
        next, previous, resource, false, reason, message + retry.note(), now, retry.stalls());
  }

  /** The Secret's ttl passed and it was deleted. */
  public static LambdaInvocationStatus expired(
      LambdaInvocation resource, LambdaInvocationStatus previous, Instant now) {
    var next = copyOf(previous);
    String message =
        "Secret "
            + previous.getSecretName()
            + " expired at "
            + previous.getExpiryTime()
            + " and was deleted; change the spec or set the annotation "
            + LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION
            + " to invoke again";
    return withReady(next, previous, resource, false, ReadyReason.Expired, message, now, false);
  }

  static String format(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /**
   * Sets the conditions: Ready, and for kstatus (Flux, kpt, cli-utils) Reconciling, True while an
   * automatic retry is pending, and Stalled, True when a person must act or the retries are spent.
   * Each keeps its lastTransitionTime while its status stays the same.
   *
   * @param stalls a person should act although a retry is pending (Lambda keeps throttling)
   */
  private static LambdaInvocationStatus withReady(
      LambdaInvocationStatus next,
      LambdaInvocationStatus previous,
      LambdaInvocation resource,
      boolean ready,
      ReadyReason reason,
      String message,
      Instant now,
      boolean stalls) {
    boolean retrying = !ready && next.getNextRetryTime() != null;
    boolean stalled =
        !ready
            && reason != ReadyReason.Expired
            && (stalls || reason.needsUser() || next.getNextRetryTime() == null);
    boolean reconciling = retrying && !stalled;
    List<InvocationCondition> conditions = new ArrayList<>();
    conditions.add(
        condition(resource, previous, LambdaInvocationStatus.READY, ready, reason.name(), message, now));
    conditions.add(
        condition(
            resource,
            previous,
            LambdaInvocationStatus.RECONCILING,
            reconciling,
            reconciling ? "RetryPending" : reason.name(),
            reconciling
                ? "retrying automatically at " + next.getNextRetryTime()
                : "no invocation or retry is pending",
            now));
    conditions.add(
        condition(
            resource,
            previous,
            LambdaInvocationStatus.STALLED,
            stalled,
            reason.name(),
            stalled ? message : "nothing needs a person to act",
            now));
    next.setConditions(conditions);
    return next;
  }

  private static InvocationCondition condition(
      LambdaInvocation resource,
      LambdaInvocationStatus previous,
      String type,
      boolean value,
      String reason,
      String message,
      Instant now) {
    String status = value ? "True" : "False";
    String transition =
        previous == null
            ? null
            : previous
                .condition(type)
                .filter(c -> status.equals(c.getStatus()))
                .map(InvocationCondition::getLastTransitionTime)
                .orElse(null);
    return new InvocationCondition(
        type,
        status,
        reason,
        message,
        resource.getMetadata().getGeneration(),
        transition != null ? transition : format(now));
  }

  /**
   * {@code previous} with the data-hash of the Secret data whose rollout restart targets were
   * restarted.
   */
  public static LambdaInvocationStatus rolloutRestarted(
      LambdaInvocationStatus previous, String dataHash) {
    var next = unchangedCopyOf(previous);
    next.setRolloutRestartedFor(dataHash);
    return next;
  }

  /**
   * {@code status} with when the written Secret's previous values are dropped (empty: it holds
   * none).
   */
  public static LambdaInvocationStatus withPreviousValuesExpiry(
      LambdaInvocationStatus status, java.util.Optional<Instant> expiry) {
    status.setPreviousValuesExpiryTime(expiry.map(StatusFactory::format).orElse(null));
    return status;
  }

  /**
   * {@code previous} once the Secret's previous values were dropped: no drop time, and the
   * rollout restart targets, restarted for the data that held them, count as restarted for the
   * data without them (dropping restarts nothing).
   */
  public static LambdaInvocationStatus previousValuesDropped(
      LambdaInvocationStatus previous, String droppedHash, String newHash) {
    var next = unchangedCopyOf(previous);
    next.setPreviousValuesExpiryTime(null);
    if (droppedHash != null && droppedHash.equals(previous.getRolloutRestartedFor())) {
      next.setRolloutRestartedFor(newHash);
    }
    return next;
  }

  /** {@code previous} with where the call of spec.onDelete stands. */
  public static LambdaInvocationStatus onDelete(
      LambdaInvocationStatus previous, OnDeleteStatus onDelete) {
    var next = unchangedCopyOf(previous);
    next.setOnDelete(onDelete);
    return next;
  }

  /** A copy of everything, the retry and the conditions too: only the caller's change differs. */
  private static LambdaInvocationStatus unchangedCopyOf(LambdaInvocationStatus previous) {
    var next = copyOf(previous);
    next.setNextRetryTime(previous == null ? null : previous.getNextRetryTime());
    next.setFailedAttempts(previous == null ? null : previous.getFailedAttempts());
    next.setThrottledAttempts(previous == null ? null : previous.getThrottledAttempts());
    next.setConditions(
        previous == null || previous.getConditions() == null
            ? new ArrayList<>()
            : new ArrayList<>(previous.getConditions()));
    return next;
  }

  private static LambdaInvocationStatus copyOf(LambdaInvocationStatus previous) {
    var next = new LambdaInvocationStatus();
    if (previous != null) {
      next.setObservedGeneration(previous.getObservedGeneration());
      next.setStatusCode(previous.getStatusCode());
      next.setExecutedVersion(previous.getExecutedVersion());
      next.setSecretName(previous.getSecretName());
      next.setLastInvocationTime(previous.getLastInvocationTime());
      next.setNextRefreshTime(previous.getNextRefreshTime());
      next.setExpiryTime(previous.getExpiryTime());
      next.setLastHandledInvokeRequest(previous.getLastHandledInvokeRequest());
      next.setRejectedGeneration(previous.getRejectedGeneration());
      next.setLastHandledSecretVersion(previous.getLastHandledSecretVersion());
      next.setRolloutRestartedFor(previous.getRolloutRestartedFor());
      next.setPreviousValuesExpiryTime(previous.getPreviousValuesExpiryTime());
      next.setInputsHash(previous.getInputsHash());
      next.setOnDelete(previous.getOnDelete());
    }
    return next;
  }
}
