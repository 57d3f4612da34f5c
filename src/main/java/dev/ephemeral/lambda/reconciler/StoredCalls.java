package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.Call;
import dev.ephemeral.lambda.invoke.CallEventSource;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryClass;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Trigger;
import dev.ephemeral.lambda.secret.ResultSecret;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores a finished regular call: writes the Secret of a result (and restarts the rollout restart
 * targets when its data changed), reports the call to the observers once, and gives the status
 * that records it. Nothing here invokes again: the function ran, so whatever fails after it ends
 * in a status.
 */
final class StoredCalls {

  private static final Logger LOG = LoggerFactory.getLogger(StoredCalls.class);

  private final CallEventSource<PendingInvocation> calls;
  private final ResultStore resultStore;
  private final ResultSecrets secrets;
  private final RolloutRestarter rolloutRestarter;
  private final RetryPolicy retryPolicy;
  private final InvocationObserver observer;

  StoredCalls(
      CallEventSource<PendingInvocation> calls,
      ResultStore resultStore,
      ResultSecrets secrets,
      RolloutRestarter rolloutRestarter,
      RetryPolicy retryPolicy,
      InvocationObserver observer) {
    this.calls = calls;
    this.resultStore = resultStore;
    this.secrets = secrets;
    this.rolloutRestarter = rolloutRestarter;
    this.retryPolicy = retryPolicy;
    this.observer = observer;
  }

  /**
   * The outcome of a finished call: stored the first time, and the call leaves the event source
   * once its status is written. A trigger that came while it ran is decided on right after, and so
   * is a time of the new status already past (a short refresh interval).
   */
  Outcome store(LambdaInvocation resource, Call<PendingInvocation> call) {
    Outcome outcome =
        call.context()
            .storeOnce(
                () -> {
                  try {
                    return storeNow(resource, call);
                  } catch (RuntimeException e) {
                    return unstorable(resource, call, e);
                  }
                });
    return outcome
        .thenAfterWrite(written -> calls.consume(resource, call))
        .waking(call.redecideWhenStoredRequested() ? Outcome.Wake.NOW : Outcome.Wake.ALL_TIMES);
  }

  /** A regular call of a resource being deleted: nothing of it is stored; it is only reported. */
  void drop(LambdaInvocation resource, Call<PendingInvocation> call) {
    report(call, outcomeOf(call.result()));
    calls.consume(resource, call);
  }

  /** The status of a failed attempt, with its retry counted from the moment it is recorded. */
  Outcome failed(
      LambdaInvocation decidedOn,
      InvocationPlan plan,
      Trigger trigger,
      InvocationResult.Failed failed,
      String secretVersion) {
    return failed(retryPolicy, decidedOn, plan, trigger, failed, secretVersion);
  }

  /**
   * The status of a failed attempt. Its retry is counted from the moment the status is recorded,
   * each time it is: a status write that failed and is made again later carries a retry time
   * counted from that later write, never one already past.
   */
  static Outcome failed(
      RetryPolicy retryPolicy,
      LambdaInvocation decidedOn,
      InvocationPlan plan,
      Trigger trigger,
      InvocationResult.Failed failed,
      String secretVersion) {
    return Outcome.status(
        (resource, current, now) ->
            StatusFactory.failed(
                decidedOn,
                current,
                Optional.of(plan),
                failed.reason(),
                failed.message(),
                now,
                retryPolicy.after(failed, trigger, current, now),
                secretVersion));
  }

  private Outcome storeNow(LambdaInvocation resource, Call<PendingInvocation> call) {
    var pending = call.context();
    var decidedOn = pending.decidedOn();
    var plan = pending.plan();
    LambdaInvocationStatus status = resource.getStatus();
    InvocationResult result = call.result();
    if (result instanceof InvocationResult.Succeeded succeeded) {
      Optional<InvocationResult.Failed> rejection = ResultAcceptance.rejection(plan, succeeded);
      if (rejection.isPresent() && !plan.successCheck().orElseThrow().writeRejectedResult()) {
        // The Secret keeps its last accepted data (or stays absent): nothing is written.
        return rejected(resource, call, succeeded, rejection.get());
      }
      var stored =
          resultStore.store(
              decidedOn,
              plan,
              succeeded,
              pending.existing(),
              call.finishedAt(),
              secrets.controlledBy(decidedOn),
              status == null ? null : status.getSecretName());
      if (stored.failure().isEmpty()) {
        report(call, rejection.isPresent() ? ReadyReason.ConditionNotMet : ReadyReason.Invoked);
        observer.secretWritten(decidedOn, writtenMessage(plan, rejection.isPresent()));
        LOG.atInfo()
            .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
            .addKeyValue(NAME, resource.getMetadata().getName())
            .addKeyValue(TRIGGER, pending.trigger())
            .addKeyValue(STATUS_CODE, succeeded.statusCode())
            .addKeyValue(EXECUTED_VERSION, succeeded.executedVersion())
            .addKeyValue(SECRET, plan.secretName())
            .log(
                rejection.isPresent()
                    ? "Invocation result rejected by the success condition, written to Secret as"
                        + " spec.successCondition.writeRejectedResult asks"
                    : "Invocation succeeded, result written to Secret");
        Secret written = stored.secret().orElseThrow();
        String dataHash = ResultSecret.dataHashOf(written);
        var previousValuesExpiry = ResultSecret.previousValuesExpiry(written);
        // Between the Secret write and the status, which records the data restarted for: an
        // operator that stops in between leaves a status that differs, and the next finishes it.
        if (stored.dataChanged()
            || !Objects.equals(dataHash, status == null ? null : status.getRolloutRestartedFor())) {
          rolloutRestarter.restart(decidedOn, plan.rolloutRestartTargets(), plan.secretName());
        }
        if (rejection.isPresent()) {
          return Outcome.status(
              (r, current, now) -> {
                var next =
                    StatusFactory.writtenButRejected(
                        decidedOn,
                        current,
                        plan,
                        succeeded,
                        call.finishedAt(),
                        rejection.get().message(),
                        now);
                next.setRolloutRestartedFor(dataHash);
                return StatusFactory.withPreviousValuesExpiry(next, previousValuesExpiry);
              });
        }
        return Outcome.status(
            (r, current, now) -> {
              var next =
                  StatusFactory.succeeded(decidedOn, current, plan, succeeded, call.finishedAt());
              next.setRolloutRestartedFor(dataHash);
              return StatusFactory.withPreviousValuesExpiry(next, previousValuesExpiry);
            });
      }
      result = stored.failure().get();
    }
    var failure = (InvocationResult.Failed) result;
    report(call, failure.reason());
    LOG.atWarn()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .addKeyValue(TRIGGER, pending.trigger())
        .addKeyValue(REASON, failure.reason())
        .log("Invocation failed: {}", failure.message());
    return failed(decidedOn, plan, pending.trigger(), failure, pending.secretVersion());
  }

  /**
   * A result spec.successCondition rejects: nothing is written, the call is not retried until the
   * next trigger, and the status records the call's statusCode and executedVersion.
   */
  private Outcome rejected(
      LambdaInvocation resource,
      Call<PendingInvocation> call,
      InvocationResult.Succeeded succeeded,
      InvocationResult.Failed rejection) {
    var pending = call.context();
    report(call, rejection.reason());
    LOG.atWarn()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .addKeyValue(TRIGGER, pending.trigger())
        .addKeyValue(REASON, rejection.reason())
        .addKeyValue(STATUS_CODE, succeeded.statusCode())
        .log("Invocation result rejected: {}", rejection.message());
    Outcome failed =
        failed(
            pending.decidedOn(),
            pending.plan(),
            pending.trigger(),
            rejection,
            pending.secretVersion());
    return Outcome.status(
        (r, current, now) ->
            StatusFactory.withCall(failed.status().apply(r, current, now), succeeded));
  }

  /** The status of a call whose result could not be stored because of a fault of the operator. */
  private Outcome unstorable(
      LambdaInvocation resource, Call<PendingInvocation> call, RuntimeException e) {
    var pending = call.context();
    LOG.atError()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .addKeyValue("error", e.getClass().getName())
        .log("The result of an invocation could not be stored; not invoking again");
    var failure =
        new InvocationResult.Failed(
            ReadyReason.InvocationFailed,
            RetryClass.ON_TRIGGER,
            "the function ran, but the operator failed to store its result ("
                + e.getClass().getSimpleName()
                + "); see the operator's log");
    try {
      report(call, failure.reason());
    } catch (RuntimeException reportFailure) {
      // The observers failing again must not keep the status from being written.
    }
    return Outcome.status(
        (r, current, now) -> {
          var next =
              StatusFactory.failed(
                  pending.decidedOn(),
                  current,
                  Optional.empty(),
                  failure.reason(),
                  failure.message(),
                  now,
                  retryPolicy.after(failure, pending.trigger(), current, now),
                  pending.secretVersion());
          next.setInputsHash(pending.plan().inputsHash());
          return next;
        });
  }

  /** Reports a finished call to the observers (metrics): its outcome, never its data. */
  void report(Call<PendingInvocation> call, ReadyReason outcome) {
    var pending = call.context();
    observer.invoked(pending.decidedOn(), pending.trigger(), outcome, call.latency());
  }

  /** The Invoked Event's message: the same for every call of the same spec, so they count up. */
  private static String writtenMessage(InvocationPlan plan, boolean rejected) {
    return "Invoked "
        + plan.functionName()
        + (plan.qualifier() == null ? "" : ":" + plan.qualifier())
        + "; result written to Secret "
        + plan.secretName()
        + (rejected ? " although spec.successCondition rejected it (writeRejectedResult)" : "");
  }

  static ReadyReason outcomeOf(InvocationResult result) {
    return result instanceof InvocationResult.Failed failed ? failed.reason() : ReadyReason.Invoked;
  }
}
