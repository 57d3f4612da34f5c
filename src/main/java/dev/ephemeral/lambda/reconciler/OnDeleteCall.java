package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.OnDeleteStatus;
import dev.ephemeral.lambda.invoke.Call;
import dev.ephemeral.lambda.invoke.CallEventSource;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Trigger;
import dev.ephemeral.lambda.policy.Permit;
import dev.ephemeral.lambda.policy.PolicyEnforcement;
import dev.ephemeral.lambda.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code spec.onDelete}: when a resource with the finalizer is deleted, its function is invoked
 * once more with {@code spec.onDelete.payload} (same function, qualifier, region, clientContext and
 * timeout), through the same validation, policy check and call queue as every other call; then the
 * finalizer is removed. Nothing of the call's response is kept: the resource is going.
 *
 * <p>The finalizer never holds a deletion for ever. A failure that a retry may fix (a function
 * error, throttling, a timeout, a service or connection failure, AccessDenied, KMSAccessDenied) is
 * retried with the operator's backoff, at most RETRY_MAX_RETRIES times; a Retry-After longer than
 * the backoff is honoured up to the longest backoff of those retries. Then, and at once on
 * FunctionNotFound, a request Lambda rejects (400/413), an invalid spec or a function no policy
 * allows, a Warning Event says so and the finalizer is removed. In a namespace being deleted a
 * failed call is not retried. The attempts are kept in status.onDelete, so an operator restart
 * continues them.
 */
final class OnDeleteCall {

  private static final Logger LOG = LoggerFactory.getLogger(OnDeleteCall.class);

  private final SpecValidator validator;
  private final PolicyEnforcement policies;
  private final CallEventSource<PendingInvocation> calls;
  private final CallStarter starter;
  private final StoredCalls stored;
  private final RetryPolicy retryPolicy;
  private final InvocationObserver observer;

  OnDeleteCall(
      SpecValidator validator,
      PolicyEnforcement policies,
      CallEventSource<PendingInvocation> calls,
      CallStarter starter,
      StoredCalls stored,
      RetryPolicy retryPolicy,
      InvocationObserver observer) {
    this.validator = validator;
    this.policies = policies;
    this.calls = calls;
    this.starter = starter;
    this.stored = stored;
    this.retryPolicy = retryPolicy;
    this.observer = observer;
  }

  /** Whether {@code call} is a delete-time call (and so not a result to store). */
  static boolean isOnDeleteCall(Call<PendingInvocation> call) {
    return call.context().trigger() == Trigger.ON_DELETE;
  }

  /**
   * The reconcile of a resource marked for deletion, without a finished call: never the regular
   * call. A regular call still waiting for a slot is not made; one running finishes first. Then,
   * with the finalizer, the delete-time call is validated, authorized and queued.
   */
  Outcome reconcile(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Optional<Call<PendingInvocation>> call,
      Instant now) {
    if (call.isPresent() && (isOnDeleteCall(call.get()) || !calls.cancel(resource, call.get()))) {
      // Its finish brings the resource back.
      return Outcome.NONE;
    }
    if (!resource.hasFinalizer(OnDeleteFinalizer.NAME)) {
      return Outcome.NONE;
    }
    OnDeleteStatus state = onDeleteOf(resource.getStatus());
    if (state.getOutcome() != null) {
      // Done: a removal that failed (or that the cache does not show yet) is made again, never
      // the call.
      return Outcome.NONE.thenAfterWrite(r -> removeFinalizer(context, r));
    }
    if (WakeUp.instant(state.getNextAttemptTime()).filter(now::isBefore).isPresent()) {
      return Outcome.NONE;
    }
    var validation = validator.validate(resource);
    if (validation instanceof SpecValidator.Invalid invalid) {
      return giveUp(
          resource,
          context,
          state,
          "the spec is invalid (" + invalid.message() + "), so the onDelete call was not made");
    }
    InvocationPlan plan = ((SpecValidator.Valid) validation).plan();
    if (plan.onDeletePayload().isEmpty()) {
      // spec.onDelete was removed after the deletion began: nothing to call.
      return release(context, state, OnDeleteStatus.SUCCEEDED, null, "spec.onDelete was removed");
    }
    Permit permit = policies.check(resource, plan);
    if (permit instanceof Permit.Denied denied) {
      return giveUp(
          resource, context, state, denied.message() + ", so the onDelete call was not made");
    }
    if (calls.isAccepting()) {
      starter.startOnDelete(resource, context, plan, (Permit.Allowed) permit);
    }
    return Outcome.NONE;
  }

  /**
   * A finished delete-time call: release, retry, or give up; its response is dropped unread. The
   * call leaves the event source once the status says what follows.
   */
  Outcome afterCall(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Call<PendingInvocation> call,
      Instant now) {
    Outcome outcome =
        call.context().storeOnce(() -> decideAfterCall(resource, context, call, now));
    return outcome.thenAfterWrite(r -> calls.consume(resource, call));
  }

  private Outcome decideAfterCall(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Call<PendingInvocation> call,
      Instant now) {
    stored.report(call, StoredCalls.outcomeOf(call.result()));
    OnDeleteStatus state = onDeleteOf(resource.getStatus());
    if (!resource.hasFinalizer(OnDeleteFinalizer.NAME)) {
      return Outcome.NONE;
    }
    if (call.result() instanceof InvocationResult.Succeeded succeeded) {
      LOG.atInfo()
          .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
          .addKeyValue(NAME, resource.getMetadata().getName())
          .addKeyValue(STATUS_CODE, succeeded.statusCode())
          .log("spec.onDelete call succeeded");
      return release(context, state, OnDeleteStatus.SUCCEEDED, null, "after the onDelete call");
    }
    var failed = (InvocationResult.Failed) call.result();
    var next =
        OnDeleteRetries.afterFailure(
            failed,
            state,
            retryPolicy,
            () -> namespaceTerminating(context.getClient(), resource.getMetadata().getNamespace()),
            now);
    if (next instanceof OnDeleteRetries.GiveUp giveUp) {
      return giveUp(resource, context, state, giveUp.why());
    }
    var retry = ((OnDeleteRetries.RetryAt) next).status();
    LOG.atWarn()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .addKeyValue(REASON, failed.reason())
        .log(
            "spec.onDelete call failed; retry {} of {} at {}",
            retry.getFailedAttempts(),
            retryPolicy.maxRetries(),
            retry.getNextAttemptTime());
    return Outcome.status((r, current, time) -> StatusFactory.onDelete(current, retry));
  }

  /** Removes the finalizer without a successful call, with a Warning Event saying why. */
  private Outcome giveUp(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      OnDeleteStatus state,
      String why) {
    String message = why + "; the finalizer " + OnDeleteFinalizer.NAME + " was removed";
    LOG.atWarn()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .log("Giving up the spec.onDelete call: {}", message);
    observer.deleteCallAbandoned(resource, message);
    return release(context, state, OnDeleteStatus.ABANDONED, why, "without a successful call");
  }

  /**
   * The status records that the delete-time work is done, then the finalizer goes: a removal that
   * fails is made again by the next reconcile, never the call.
   */
  private Outcome release(
      Context<LambdaInvocation> context,
      OnDeleteStatus state,
      String outcome,
      String lastFailure,
      String logDetail) {
    var done =
        new OnDeleteStatus(
            state.getFailedAttempts(),
            null,
            lastFailure != null ? lastFailure : state.getLastFailure(),
            outcome);
    return Outcome.status((r, current, now) -> StatusFactory.onDelete(current, done))
        .thenAfterWrite(
            r -> {
              removeFinalizer(context, r);
              LOG.atInfo()
                  .addKeyValue(NAMESPACE, r.getMetadata().getNamespace())
                  .addKeyValue(NAME, r.getMetadata().getName())
                  .log("Finalizer removed {}", logDetail);
            });
  }

  private static void removeFinalizer(Context<LambdaInvocation> context, LambdaInvocation resource) {
    OnDeleteFinalizer.remove(context.getClient(), resource);
  }

  private static OnDeleteStatus onDeleteOf(LambdaInvocationStatus status) {
    return status == null || status.getOnDelete() == null
        ? new OnDeleteStatus()
        : status.getOnDelete();
  }

  /**
   * Whether the namespace is being deleted. A namespace that cannot be read counts as not: the
   * retries stay bounded anyway.
   */
  private static boolean namespaceTerminating(KubernetesClient client, String namespace) {
    try {
      Namespace ns = client.namespaces().withName(namespace).get();
      return ns != null
          && (ns.getMetadata().getDeletionTimestamp() != null
              || (ns.getStatus() != null && "Terminating".equals(ns.getStatus().getPhase())));
    } catch (KubernetesClientException e) {
      LOG.atWarn()
          .addKeyValue(NAMESPACE, namespace)
          .addKeyValue("httpCode", e.getCode())
          .log("Could not read the namespace; retrying the onDelete call as usual");
      return false;
    }
  }
}
