package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationQueue;
import dev.ephemeral.lambda.invoke.InvocationRequest;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.RetryClass;
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
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code spec.onDelete}: the finalizer that a resource carries exactly while its spec asks for a
 * call at deletion, and that call. When such a resource is deleted, the function is invoked once
 * more with {@code spec.onDelete.payload} (same function, qualifier, region, clientContext and
 * timeout), through the same {@link InvocationQueue} as every other call, then the finalizer is
 * removed. Nothing of the call's response is kept: the resource is going.
 *
 * <p>The finalizer never holds a deletion for ever. A failure that a retry may fix (a function
 * error, throttling, a timeout, a service or connection failure, AccessDenied, KMSAccessDenied) is
 * retried with the operator's backoff, at most RETRY_MAX_RETRIES times; then, and at once on
 * FunctionNotFound, a request Lambda rejects (400/413) or an invalid spec, a Warning Event says so
 * and the finalizer is removed. In a namespace being deleted a failed call is not retried. The
 * count of failed calls is kept by this process only: an operator restart during the retries
 * starts it over.
 */
final class DeleteTimeInvocation {

  /** Held on a LambdaInvocation with spec.onDelete until its delete-time call is done. */
  static final String FINALIZER = LambdaInvocation.GROUP + "/on-delete";

  private static final Logger LOG = LoggerFactory.getLogger(DeleteTimeInvocation.class);
  private static final Duration RESCHEDULE_MARGIN = Duration.ofMillis(100);
  private static final int HTTP_NOT_FOUND = 404;
  private static final int HTTP_CONFLICT = 409;
  private static final int MAX_PATCH_ATTEMPTS = 10;

  /** Failed delete-time calls in a row of a resource being deleted, and when to call again. */
  private record Failures(int count, Instant nextAttempt) {}

  private final SpecValidator validator;
  private final InvocationQueue<PendingInvocation> queue;
  private final RetryPolicy retryPolicy;
  private final Clock clock;
  private final InvocationObserver observer;
  private final Map<String, Failures> failures = new ConcurrentHashMap<>();

  /**
   * Uids whose delete-time work is done (the call succeeded or was given up): only the finalizer's
   * removal is left, or was made and has not reached the cache yet. They are never called again.
   */
  private final Set<String> done = ConcurrentHashMap.newKeySet();

  /** Who may invoke what: the delete-time call is checked like any other, and uses its role. */
  private final PolicyEnforcement policies;

  DeleteTimeInvocation(
      SpecValidator validator,
      InvocationQueue<PendingInvocation> queue,
      RetryPolicy retryPolicy,
      Clock clock,
      InvocationObserver observer,
      PolicyEnforcement policies) {
    this.policies = policies;
    this.validator = validator;
    this.queue = queue;
    this.retryPolicy = retryPolicy;
    this.clock = clock;
    this.observer = observer;
  }

  /**
   * On a live resource with a valid spec: adds the finalizer when spec.onDelete is set and removes
   * it when not, before any call is made, so a call that hands something out is always followed by
   * its delete-time call. {@code resource} is updated to the version written.
   */
  void keepFinalizer(
      LambdaInvocation resource, Context<LambdaInvocation> context, InvocationPlan plan) {
    boolean wanted = plan.onDeletePayload().isPresent();
    if (wanted == resource.hasFinalizer(FINALIZER)) {
      return;
    }
    LambdaInvocation written =
        PrimaryUpdateAndCacheUtils.updateAndCacheResource(
            resource,
            context,
            r -> {
              if (wanted) {
                r.addFinalizer(FINALIZER);
              } else {
                r.removeFinalizer(FINALIZER);
              }
              return r;
            },
            r -> patchFinalizers(context.getClient(), r));
    resource.getMetadata().setResourceVersion(written.getMetadata().getResourceVersion());
    LOG.atInfo()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .log(wanted ? "Finalizer added for spec.onDelete" : "Finalizer removed: no spec.onDelete");
  }

  /**
   * The reconcile of a resource marked for deletion: never the regular call. A regular call under
   * way finishes first and its result is dropped (the Secret goes with the resource); one still
   * waiting for a slot is not made. Then, with the finalizer, the delete-time call is made, retried
   * as the class comment says, and the finalizer removed.
   */
  UpdateControl<LambdaInvocation> reconcile(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Optional<InvocationQueue.Call<PendingInvocation>> call) {
    var id = ResourceID.fromResource(resource);
    if (call.isPresent()) {
      var current = call.get();
      if (!isDeleteTimeCall(current) && queue.cancel(id, current)) {
        // A regular call still waiting for a slot is not made for a resource being deleted.
        call = Optional.empty();
      } else if (current.state() != InvocationQueue.State.FINISHED) {
        // Its finish brings the resource back.
        return UpdateControl.noUpdate();
      }
    }
    if (call.isPresent()) {
      var current = call.get();
      queue.remove(id, current);
      report(current);
      if (isDeleteTimeCall(current) && resource.hasFinalizer(FINALIZER)) {
        return afterCall(resource, context, current);
      }
    }
    String uid = resource.getMetadata().getUid();
    if (!resource.hasFinalizer(FINALIZER)) {
      return UpdateControl.noUpdate();
    }
    if (done.contains(uid)) {
      // A removal that failed (or that the cache does not show yet) is made again, never the call.
      removeFinalizer(context.getClient(), resource);
      return UpdateControl.noUpdate();
    }
    Instant now = clock.instant();
    Failures before = failures.get(uid);
    if (before != null && now.isBefore(before.nextAttempt())) {
      return rescheduleAt(before.nextAttempt(), now);
    }
    var validation = validator.validate(resource);
    if (validation instanceof SpecValidator.Invalid invalid) {
      return giveUp(
          resource,
          context,
          "the spec is invalid (" + invalid.message() + "), so the onDelete call was not made");
    }
    InvocationPlan plan = ((SpecValidator.Valid) validation).plan();
    if (plan.onDeletePayload().isEmpty()) {
      // spec.onDelete was removed after the deletion began: nothing to call.
      return release(resource, context, "Finalizer removed: spec.onDelete was removed");
    }
    Permit permit = policies.check(resource, plan);
    if (permit instanceof Permit.Denied denied) {
      return giveUp(
          resource, context, denied.message() + ", so the onDelete call was not made");
    }
    if (!queue.isAccepting()) {
      // Stopping: the next leader or start makes the call.
      return UpdateControl.noUpdate();
    }
    submit(resource, context, plan, (Permit.Allowed) permit);
    return UpdateControl.noUpdate();
  }

  /** The resource is gone: forgets what was kept for it. */
  void forget(String uid) {
    failures.remove(uid);
    done.remove(uid);
  }

  /** Forgets what was kept for resources whose uid is not in {@code live}. */
  void retain(Set<String> live) {
    failures.keySet().retainAll(live);
    done.retainAll(live);
  }

  /** Whether {@code call} is a delete-time call (and so not a result to store). */
  private static boolean isDeleteTimeCall(InvocationQueue.Call<PendingInvocation> call) {
    return call.context().trigger() == Trigger.ON_DELETE;
  }

  private void submit(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      InvocationPlan plan,
      Permit.Allowed permit) {
    LambdaInvocation decidedOn =
        context
            .getControllerConfiguration()
            .getConfigurationService()
            .getResourceCloner()
            .clone(resource);
    var pending =
        new PendingInvocation(
            decidedOn,
            plan,
            Trigger.ON_DELETE,
            Optional.empty(),
            SecretState.ABSENT,
            new PendingInvocation.Outcome());
    LOG.atInfo()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .addKeyValue(TRIGGER, Trigger.ON_DELETE)
        .addKeyValue(FUNCTION, plan.functionName())
        .log("Invoking Lambda function for spec.onDelete");
    queue.submit(
        ResourceID.fromResource(resource),
        resource.getMetadata().getUid(),
        new InvocationRequest(
            plan.functionName(),
            plan.qualifier(),
            plan.region(),
            plan.onDeletePayload().orElseThrow(),
            plan.clientContext(),
            false,
            plan.timeout(),
            permit.role()),
        pending);
  }

  /** A finished delete-time call: release, retry, or give up; its response is dropped unread. */
  private UpdateControl<LambdaInvocation> afterCall(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      InvocationQueue.Call<PendingInvocation> call) {
    String uid = resource.getMetadata().getUid();
    if (call.result() instanceof InvocationResult.Succeeded succeeded) {
      failures.remove(uid);
      LOG.atInfo()
          .addKeyValue(NAMESPACE, namespace(resource))
          .addKeyValue(NAME, name(resource))
          .addKeyValue(STATUS_CODE, succeeded.statusCode())
          .log("spec.onDelete call succeeded");
      return release(resource, context, "Finalizer removed after the onDelete call");
    }
    var failed = (InvocationResult.Failed) call.result();
    String failure = failed.reason() + ": " + failed.message();
    if (!retryable(failed)) {
      return giveUp(resource, context, "the onDelete call failed (" + failure + ")");
    }
    int count = Optional.ofNullable(failures.get(uid)).map(Failures::count).orElse(0) + 1;
    if (count > retryPolicy.maxRetries()) {
      return giveUp(
          resource,
          context,
          "the onDelete call failed (" + failure + ") and its " + retryPolicy.maxRetries()
              + " retries are spent");
    }
    if (namespaceTerminating(context.getClient(), namespace(resource))) {
      return giveUp(
          resource,
          context,
          "the onDelete call failed (" + failure + ") and the namespace is being deleted");
    }
    Instant now = clock.instant();
    Duration backoff = retryPolicy.backoff(count);
    Duration wait = failed.retryAfter().filter(d -> d.compareTo(backoff) > 0).orElse(backoff);
    Instant next = now.plus(wait);
    failures.put(uid, new Failures(count, next));
    LOG.atWarn()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .addKeyValue(REASON, failed.reason())
        .log(
            "spec.onDelete call failed; retry {} of {} in {}",
            count,
            retryPolicy.maxRetries(),
            wait);
    return rescheduleAt(next, now);
  }

  /**
   * Failures a retry may fix. Not retried: a function that does not exist, a request Lambda
   * rejects, and failures after which the function ran and a rerun only repeats it.
   */
  private static boolean retryable(InvocationResult.Failed failed) {
    if (failed.reason() == ReadyReason.FunctionNotFound) {
      return false;
    }
    return failed.retry() == RetryClass.BACKOFF || failed.retry() == RetryClass.SLOW;
  }

  /** Removes the finalizer without a successful call, with a Warning Event saying why. */
  private UpdateControl<LambdaInvocation> giveUp(
      LambdaInvocation resource, Context<LambdaInvocation> context, String why) {
    failures.remove(resource.getMetadata().getUid());
    String message = why + "; the finalizer " + FINALIZER + " was removed";
    LOG.atWarn()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .log("Giving up the spec.onDelete call: {}", message);
    observer.deleteCallAbandoned(resource, message);
    return release(resource, context, "Finalizer removed without a successful onDelete call");
  }

  private UpdateControl<LambdaInvocation> release(
      LambdaInvocation resource, Context<LambdaInvocation> context, String logMessage) {
    done.add(resource.getMetadata().getUid());
    failures.remove(resource.getMetadata().getUid());
    removeFinalizer(context.getClient(), resource);
    LOG.atInfo()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .log(logMessage);
    return UpdateControl.noUpdate();
  }

  /**
   * Removes the finalizer from a resource being deleted; the API server then deletes it, so the
   * answer is not cached. A conflict reads the resource again; a resource already gone is done.
   */
  private static void removeFinalizer(KubernetesClient client, LambdaInvocation resource) {
    LambdaInvocation current = resource;
    for (int attempt = 1; ; attempt++) {
      if (current == null
          || !Objects.equals(current.getMetadata().getUid(), resource.getMetadata().getUid())
          || !current.hasFinalizer(FINALIZER)) {
        return;
      }
      current.removeFinalizer(FINALIZER);
      try {
        patchFinalizers(client, current);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == HTTP_NOT_FOUND) {
          return;
        }
        if (e.getCode() != HTTP_CONFLICT || attempt == MAX_PATCH_ATTEMPTS) {
          throw e;
        }
      }
      current =
          client
              .resources(LambdaInvocation.class)
              .inNamespace(namespace(resource))
              .withName(name(resource))
              .get();
    }
  }

  /**
   * Writes the finalizers of {@code resource}, and nothing else, with a JSON Patch that also sets
   * the resourceVersion it was read at, so a concurrent change is a conflict instead of lost.
   */
  private static LambdaInvocation patchFinalizers(
      KubernetesClient client, LambdaInvocation resource) {
    List<String> finalizers = new ArrayList<>(resource.getMetadata().getFinalizers());
    String patch =
        client
            .getKubernetesSerialization()
            .asJson(
                List.of(
                    Map.of(
                        "op",
                        "replace",
                        "path",
                        "/metadata/resourceVersion",
                        "value",
                        resource.getMetadata().getResourceVersion()),
                    Map.of("op", "add", "path", "/metadata/finalizers", "value", finalizers)));
    return client
        .resources(LambdaInvocation.class)
        .inNamespace(namespace(resource))
        .withName(name(resource))
        .patch(PatchContext.of(PatchType.JSON), patch);
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

  /** Reports a finished call to the observers (metrics), once: its outcome, never its data. */
  private void report(InvocationQueue.Call<PendingInvocation> call) {
    var pending = call.context();
    if (pending.outcome().reported()) {
      return;
    }
    pending.outcome().markReported();
    ReadyReason outcome =
        call.result() instanceof InvocationResult.Failed failed
            ? failed.reason()
            : ReadyReason.Invoked;
    observer.invoked(pending.decidedOn(), pending.trigger(), outcome, call.latency());
  }

  private static UpdateControl<LambdaInvocation> rescheduleAt(Instant at, Instant now) {
    Duration delay = Duration.between(now, at);
    return UpdateControl.<LambdaInvocation>noUpdate()
        .rescheduleAfter((delay.isNegative() ? Duration.ZERO : delay).plus(RESCHEDULE_MARGIN));
  }

  private static String namespace(LambdaInvocation resource) {
    return resource.getMetadata().getNamespace();
  }

  private static String name(LambdaInvocation resource) {
    return resource.getMetadata().getName();
  }
}
