package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.inputs.InputWatch;
import dev.ephemeral.lambda.inputs.PayloadInputs;
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
import dev.ephemeral.lambda.secret.ResultSecret;
import dev.ephemeral.lambda.secret.SecretLayout;
import dev.ephemeral.lambda.secret.SecretWriter;
import dev.ephemeral.lambda.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a LambdaInvocation: validate, decide (invoke, retire or wait), do it, record status.
 * An invocation is only queued here; the call runs on the {@link InvocationQueue}'s own threads,
 * and its finish brings the resource back to store the result and record the status. So a
 * reconcile thread never waits on Lambda, and each reconcile invokes at most once, only when
 * {@link InvocationDecision} finds a trigger: the operator's own writes never invoke again.
 */
@ControllerConfiguration(
    name = LambdaInvocationReconciler.CONTROLLER_NAME,
    // The invoke-requested-at annotation does not bump the generation: the filter admits it.
    generationAwareEventProcessing = false,
    // The finalizer of spec.onDelete is on some resources only, so the reconciler manages it
    // itself (JOSDK's Cleaner would put one on every resource) and sees deletions.
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(onUpdateFilter = InvocationTriggerFilter.class))
public class LambdaInvocationReconciler implements Reconciler<LambdaInvocation> {

  public static final String CONTROLLER_NAME = "lambdainvocation";
  private static final Logger LOG = LoggerFactory.getLogger(LambdaInvocationReconciler.class);
  private static final Duration RESCHEDULE_MARGIN = Duration.ofMillis(100);

  /** How soon a status that could not be written after a call is tried again. */
  private static final Duration STATUS_RETRY = Duration.ofSeconds(5);

  private static final Duration FORGET_INTERVAL = Duration.ofMinutes(1);

  private final SpecValidator validator;
  private final InvocationQueue<PendingInvocation> queue;
  private final ResultSecret resultSecret;
  private final RetryPolicy retryPolicy;
  private final Clock clock;
  private final InvocationObserver observer;
  private final PayloadInputs inputs;
  private final StatusRecorder statusRecorder = new StatusRecorder();
  private final DeleteTimeInvocation deleteTime;
  private final PolicyEnforcement policies;

  /** Uids this process has decided on: trigger 5 ("the operator started") fires once for each. */
  private final Set<String> decided = ConcurrentHashMap.newKeySet();

  private volatile Instant lastForget = Instant.EPOCH;
  private SecretWriter secretWriter;
  private ResultStore resultStore;
  private RolloutRestarter rolloutRestarter;

  /**
   * The result Secrets, by their label. Read through this source only: the informers of {@link
   * InputWatch} hold Secrets too (the inputs of spec.payloadFrom, without their data).
   */
  private InformerEventSource<Secret, LambdaInvocation> resultSecrets;

  public LambdaInvocationReconciler(
      SpecValidator validator,
      InvocationQueue<PendingInvocation> queue,
      ResultSecret resultSecret,
      RetryPolicy retryPolicy,
      Clock clock,
      InvocationObserver observer,
      PayloadInputs inputs,
      PolicyEnforcement policies) {
    this.policies = policies;
    this.validator = validator;
    this.queue = queue;
    this.resultSecret = resultSecret;
    this.retryPolicy = retryPolicy;
    this.clock = clock;
    this.observer = observer;
    this.deleteTime =
        new DeleteTimeInvocation(validator, queue, retryPolicy, clock, observer, policies);
    this.inputs = inputs;
  }

  @Override
  public List<EventSource<?, LambdaInvocation>> prepareEventSources(
      EventSourceContext<LambdaInvocation> context) {
    var configuration =
        InformerEventSourceConfiguration.from(Secret.class, LambdaInvocation.class)
            .withName("secrets")
            // Only the operator's own Secrets are cached, never every Secret of the cluster.
            .withLabelSelector(SecretLayout.MANAGED_SELECTOR)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(LambdaInvocation.class))
            .withNamespacesInheritedFromController()
            .build();
    var secrets = new InformerEventSource<Secret, LambdaInvocation>(configuration, context);
    resultSecrets = secrets;
    secretWriter = new SecretWriter(context.getClient(), new OwnSecretWrites(secrets));
    resultStore = new ResultStore(resultSecret, secretWriter);
    rolloutRestarter = new RolloutRestarter(context.getClient(), observer, clock);
    // A finished call brings its resource back, to store the result.
    var finishedCalls = new SimpleInboundEventSource<LambdaInvocation>("finished-invocations");
    queue.onFinished(finishedCalls::propagateEvent);
    List<EventSource<?, LambdaInvocation>> sources =
        new ArrayList<>(List.of(secrets, finishedCalls));
    // A change of a ConfigMap or Secret that a spec.payloadFrom reads brings that resource back.
    sources.addAll(InputWatch.eventSources(context));
    // A change of a LambdaInvocationPolicy or a namespace's labels brings the resources it covers.
    sources.addAll(policies.eventSources(context));
    return sources;
  }

  @Override
  public UpdateControl<LambdaInvocation> reconcile(
      LambdaInvocation resource, Context<LambdaInvocation> context) {
    if (context.isPrimaryResourceDeleted()) {
      forget(resource);
      return UpdateControl.noUpdate();
    }
    forgetDeletedResources(context);
    var id = ResourceID.fromResource(resource);
    String uid = resource.getMetadata().getUid();
    var call = queue.get(id);
    if (call.isPresent() && !uid.equals(call.get().uid())) {
      // A predecessor under this name (deleted and recreated, as kubectl replace or Argo CD's
      // Replace=true do): its running call finishes first, and brings this one back; a finished
      // call's result belongs to nobody now.
      if (call.get().state() != InvocationQueue.State.FINISHED) {
        return UpdateControl.noUpdate();
      }
      queue.remove(id, call.get());
      call = Optional.empty();
    }
    if (resource.isMarkedForDeletion()) {
      // A resource being deleted is never invoked as usual; with spec.onDelete, it is once more.
      return deleteTime.reconcile(resource, context, call);
    }
    if (call.isPresent() && call.get().state() == InvocationQueue.State.FINISHED) {
      return finish(resource, context, call.get());
    }
    boolean calling = call.isPresent();
    Instant now = clock.instant();
    var validation = validator.validate(resource);
    // A reason not to invoke (an invalid spec, a policy that no longer allows the call, a missing
    // input): a call still waiting for a slot is not made; one running is reported after its
    // finish, which writes the call's status and brings the resource back to be decided on again.
    if (validation instanceof SpecValidator.Invalid invalid) {
      policies.notChecked(id);
      return calling && !queue.cancel(id, call.get())
          ? decideAfter(call.get())
          : reportInvalid(resource, context, invalid.message(), now);
    }
    InvocationPlan plan = ((SpecValidator.Valid) validation).plan();
    Permit permit = policies.check(resource, plan);
    if (permit instanceof Permit.Denied denied) {
      return calling && !queue.cancel(id, call.get())
          ? decideAfter(call.get())
          : reportNotAllowed(resource, context, denied, now);
    }
    deleteTime.keepFinalizer(resource, context, plan);
    var resolution = inputs.resolve(resource, plan);
    if (resolution instanceof PayloadInputs.Unusable unusable) {
      return calling && !queue.cancel(id, call.get())
          ? decideAfter(call.get())
          : reportNotInvoking(resource, context, unusable.reason(), unusable.message(), now);
    }
    plan = ((PayloadInputs.Resolved) resolution).plan();
    LambdaInvocationStatus status = resource.getStatus();
    Decision decision =
        InvocationDecision.decide(
            resource,
            plan,
            status,
            observe(context, resource, plan, status),
            !calling && !decided.contains(uid),
            now);
    decided.add(uid);
    if (decision instanceof Decision.Retire) {
      // The ttl runs while a call is under way too.
      return retire(resource, context, plan, now);
    }
    if (decision instanceof Decision.Wait wait) {
      if (!calling) {
        finishRolloutRestart(resource, context, plan, status);
      }
      return reschedule(wait.until(), now);
    }
    if (calling) {
      // One call per resource at a time: its finish brings the resource back to decide again.
      if (callIsStale(call.get().context(), resource, plan)) {
        call.get().context().outcome().markTriggeredMeanwhile();
      }
      return UpdateControl.noUpdate();
    }
    Trigger trigger = ((Decision.Invoke) decision).trigger();
    return enqueue(resource, context, plan, trigger, (Permit.Allowed) permit, now);
  }

  /** Nothing now: the running call's finish brings the resource back to decide again. */
  private static UpdateControl<LambdaInvocation> decideAfter(
      InvocationQueue.Call<PendingInvocation> call) {
    call.context().outcome().markTriggeredMeanwhile();
    return UpdateControl.noUpdate();
  }

  /**
   * Failures outside the call (the Kubernetes API refused or failed a read, a delete or a status
   * write): the framework retries the reconcile with its backoff. The status is left as it is, so
   * the decision that failed is taken again, not skipped.
   */
  @Override
  public ErrorStatusUpdateControl<LambdaInvocation> updateErrorStatus(
      LambdaInvocation resource, Context<LambdaInvocation> context, Exception e) {
    var log =
        LOG.atWarn()
            .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
            .addKeyValue(NAME, resource.getMetadata().getName())
            .addKeyValue("error", e.getClass().getSimpleName());
    if (e instanceof KubernetesClientException k) {
      log = log.addKeyValue("httpCode", k.getCode());
    }
    log.log("A request to the Kubernetes API failed; the reconcile is retried");
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }

  private UpdateControl<LambdaInvocation> enqueue(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      InvocationPlan plan,
      Trigger trigger,
      Permit.Allowed permit,
      Instant now) {
    if (!queue.isAccepting()) {
      return UpdateControl.noUpdate();
    }
    // The API, not the cache: a conflicting Secret lacks the label the informer selects.
    Optional<Secret> existing = secretWriter.get(namespace(resource), plan.secretName());
    if (existing.isPresent() && !ResultSecret.isOwnedOrLeftFor(existing.get(), resource)) {
      LambdaInvocationStatus status = resource.getStatus();
      return recordFailure(
          resource,
          context,
          resource,
          plan,
          trigger,
          ResultStore.conflict(plan.secretName()),
          status == null ? null : status.getLastHandledSecretVersion(),
          now);
    }
    // Whatever the trigger, this state of the Secret is now acted on: if the call fails, the
    // same missing or edited Secret is not a reason to call again.
    String secretVersion =
        existing.map(s -> s.getMetadata().getResourceVersion()).orElse(SecretState.ABSENT);
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
            trigger,
            existing,
            secretVersion,
            new PendingInvocation.Outcome());
    LOG.atInfo()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .addKeyValue(TRIGGER, trigger)
        .addKeyValue(FUNCTION, plan.functionName())
        .log("Invoking Lambda function");
    queue.submit(
        ResourceID.fromResource(resource),
        resource.getMetadata().getUid(),
        new InvocationRequest(
            plan.functionName(),
            plan.qualifier(),
            plan.region(),
            plan.payload(),
            plan.clientContext(),
            plan.tailLog(),
            plan.timeout(),
            permit.role()),
        pending);
    return UpdateControl.noUpdate();
  }

  /** Stores a finished call's result and records its status; nothing here invokes again. */
  private UpdateControl<LambdaInvocation> finish(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      InvocationQueue.Call<PendingInvocation> call) {
    var outcome = call.context().outcome();
    LambdaInvocationStatus next;
    try {
      next = outcome.unwrittenStatus().orElseGet(() -> store(resource, context, call));
    } catch (RuntimeException e) {
      // The function ran: whatever failed after it ends in a status, never in another call.
      next = unstorable(resource, call, e);
    }
    outcome.statusUnwritten(next);
    boolean landed;
    try {
      landed = statusRecorder.write(resource, context, next);
    } catch (KubernetesClientException | OperatorException e) {
      // The Secret is written (or rightly not): only the status is missing. Finish that soon,
      // never by deciding, and so invoking, again.
      LOG.atWarn()
          .addKeyValue(NAMESPACE, namespace(resource))
          .addKeyValue(NAME, name(resource))
          .addKeyValue("error", e.getClass().getSimpleName())
          .log("Could not write the status; trying again shortly");
      return UpdateControl.<LambdaInvocation>noUpdate().rescheduleAfter(STATUS_RETRY);
    }
    queue.remove(ResourceID.fromResource(resource), call);
    if (landed && outcome.triggeredMeanwhile()) {
      // A trigger that came while the call ran is decided on now, with the status just written.
      return UpdateControl.<LambdaInvocation>noUpdate().rescheduleAfter(RESCHEDULE_MARGIN);
    }
    return landed ? reschedule(nextWake(next), clock.instant()) : UpdateControl.noUpdate();
  }

  /** Writes the Secret of a successful call; returns the status that records the call. */
  private LambdaInvocationStatus store(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      InvocationQueue.Call<PendingInvocation> call) {
    var pending = call.context();
    var decidedOn = pending.decidedOn();
    var plan = pending.plan();
    LambdaInvocationStatus status = resource.getStatus();
    InvocationResult result = call.result();
    if (result instanceof InvocationResult.Succeeded succeeded) {
      var stored =
          resultStore.store(
              decidedOn,
              plan,
              succeeded,
              pending.existing(),
              call.finishedAt(),
              resultSecrets.getSecondaryResources(resource).stream()
                  .filter(s -> ResultSecret.isControlledBy(s, decidedOn))
                  .toList(),
              status == null ? null : status.getSecretName());
      if (stored.failure().isEmpty()) {
        report(call, ReadyReason.Invoked);
        observer.secretWritten(decidedOn);
        LOG.atInfo()
            .addKeyValue(NAMESPACE, namespace(resource))
            .addKeyValue(NAME, name(resource))
            .addKeyValue(TRIGGER, pending.trigger())
            .addKeyValue(STATUS_CODE, succeeded.statusCode())
            .addKeyValue(EXECUTED_VERSION, succeeded.executedVersion())
            .addKeyValue(SECRET, plan.secretName())
            .log("Invocation succeeded, result written to Secret");
        String dataHash = ResultSecret.dataHashOf(stored.secret().orElseThrow());
        // Between the Secret write and the status, which records the data restarted for: an
        // operator that stops in between leaves a status that differs, and the next finishes it.
        if (stored.dataChanged() || !Objects.equals(dataHash, restartedFor(status))) {
          rolloutRestarter.restart(decidedOn, plan.rolloutRestartTargets(), plan.secretName());
        }
        var next = StatusFactory.succeeded(decidedOn, status, plan, succeeded, call.finishedAt());
        next.setRolloutRestartedFor(dataHash);
        return next;
      }
      result = stored.failure().get();
    }
    var failed = (InvocationResult.Failed) result;
    report(call, failed.reason());
    return failedStatus(
        resource, decidedOn, plan, pending.trigger(), failed, pending.secretVersion(), clock.instant());
  }

  /** The status of a call whose result could not be stored because of a fault of the operator. */
  private LambdaInvocationStatus unstorable(
      LambdaInvocation resource, InvocationQueue.Call<PendingInvocation> call, RuntimeException e) {
    var pending = call.context();
    LOG.atError()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .addKeyValue("error", e.getClass().getName())
        .log("The result of an invocation could not be stored; not invoking again");
    var failed =
        new InvocationResult.Failed(
            ReadyReason.InvocationFailed,
            RetryClass.ON_TRIGGER,
            "the function ran, but the operator failed to store its result ("
                + e.getClass().getSimpleName()
                + "); see the operator's log");
    try {
      report(call, failed.reason());
    } catch (RuntimeException reportFailure) {
      // The observers failing again must not keep the status from being written.
    }
    var next =
        StatusFactory.failed(
            pending.decidedOn(),
            resource.getStatus(),
            Optional.empty(),
            failed.reason(),
            failed.message(),
            clock.instant(),
            retryPolicy.after(failed, pending.trigger(), resource.getStatus(), clock.instant()),
            pending.secretVersion());
    next.setInputsHash(pending.plan().inputsHash());
    return next;
  }

  private void report(InvocationQueue.Call<PendingInvocation> call, ReadyReason outcome) {
    var pending = call.context();
    if (!pending.outcome().reported()) {
      pending.outcome().markReported();
      observer.invoked(pending.decidedOn(), pending.trigger(), outcome, call.latency());
    }
  }

  /** A failure without a call (a conflicting Secret): recorded at once. */
  private UpdateControl<LambdaInvocation> recordFailure(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      LambdaInvocation decidedOn,
      InvocationPlan plan,
      Trigger trigger,
      InvocationResult.Failed failed,
      String secretVersion,
      Instant now) {
    var next = failedStatus(resource, decidedOn, plan, trigger, failed, secretVersion, now);
    statusRecorder.write(resource, context, next);
    return reschedule(nextWake(next), now);
  }

  private LambdaInvocationStatus failedStatus(
      LambdaInvocation resource,
      LambdaInvocation decidedOn,
      InvocationPlan plan,
      Trigger trigger,
      InvocationResult.Failed failed,
      String secretVersion,
      Instant now) {
    LambdaInvocationStatus status = resource.getStatus();
    var retry = retryPolicy.after(failed, trigger, status, now);
    var next =
        StatusFactory.failed(
            decidedOn,
            status,
            Optional.of(plan),
            failed.reason(),
            failed.message(),
            now,
            retry,
            secretVersion);
    String message = next.readyCondition().orElseThrow().getMessage();
    LOG.atWarn()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .addKeyValue(TRIGGER, trigger)
        .addKeyValue(REASON, failed.reason())
        .log("Invocation failed: {}", message);
    if (!sameCondition(status, failed.reason(), message)) {
      // An Event for each change, not for each slow retry of the same failure.
      observer.failed(decidedOn, failed.reason(), message);
    }
    return next;
  }

  /**
   * No policy allows the resource: says so and invokes nothing. A Secret written before still
   * expires at its ttl, or goes at once when a policy for the namespace says revoke.
   */
  private UpdateControl<LambdaInvocation> reportNotAllowed(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Permit.Denied denied,
      Instant now) {
    LambdaInvocationStatus status = resource.getStatus();
    var next =
        StatusFactory.failed(
            resource, status, Optional.empty(), ReadyReason.NotAllowed, denied.message(), now);
    if (!next.equals(status)) {
      observer.failed(resource, ReadyReason.NotAllowed, denied.message());
      LOG.atWarn()
          .addKeyValue(NAMESPACE, namespace(resource))
          .addKeyValue(NAME, name(resource))
          .addKeyValue(REASON, ReadyReason.NotAllowed)
          .log("Not allowed, not invoking: {}", denied.message());
      statusRecorder.write(resource, context, next);
    }
    String secretName = status == null ? null : status.getSecretName();
    if (denied.revoke() && secretName != null) {
      if (secretWriter.deleteIfControlled(namespace(resource), secretName, resource)) {
        LOG.atInfo()
            .addKeyValue(NAMESPACE, namespace(resource))
            .addKeyValue(NAME, name(resource))
            .addKeyValue(SECRET, secretName)
            .log("Secret deleted: no policy allows its resource, and one says revoke");
      }
      return UpdateControl.noUpdate();
    }
    Optional<Instant> expiry =
        secretName == null ? Optional.empty() : InvocationDecision.instant(status.getExpiryTime());
    if (expiry.filter(t -> !now.isBefore(t)).isPresent()) {
      retireSecret(resource, secretName, status);
      return UpdateControl.noUpdate();
    }
    return reschedule(expiry, now);
  }

  private UpdateControl<LambdaInvocation> reportInvalid(
      LambdaInvocation resource, Context<LambdaInvocation> context, String message, Instant now) {
    return reportNotInvoking(
        resource, context, ReadyReason.InvalidSpec, message + "; fix the spec", now);
  }

  /**
   * A resource that cannot be invoked as it is: an invalid spec, or inputs (spec.payloadFrom) that
   * are missing or do not fit the payload. The status says why; nothing is invoked.
   */
  private UpdateControl<LambdaInvocation> reportNotInvoking(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      ReadyReason reason,
      String message,
      Instant now) {
    LambdaInvocationStatus status = resource.getStatus();
    var next = StatusFactory.failed(resource, status, Optional.empty(), reason, message, now);
    // No inputs were acted on: once they are there (again), even with the values last sent, they
    // invoke.
    next.setInputsHash(null);
    if (!next.equals(status)) {
      observer.failed(resource, reason, next.readyCondition().orElseThrow().getMessage());
      LOG.atWarn()
          .addKeyValue(NAMESPACE, namespace(resource))
          .addKeyValue(NAME, name(resource))
          .addKeyValue(REASON, reason)
          .log("Not invoking: {}", message);
      statusRecorder.write(resource, context, next);
    }
    // An invalid spec stops invocations, not the ttl of a Secret written before.
    Optional<Instant> expiry =
        status == null || status.getSecretName() == null
            ? Optional.empty()
            : InvocationDecision.instant(status.getExpiryTime());
    if (expiry.filter(t -> !now.isBefore(t)).isPresent()) {
      retireSecret(resource, status.getSecretName(), status);
      return UpdateControl.noUpdate();
    }
    return reschedule(expiry, now);
  }

  private UpdateControl<LambdaInvocation> retire(
      LambdaInvocation resource, Context<LambdaInvocation> context, InvocationPlan plan, Instant now) {
    LambdaInvocationStatus status = resource.getStatus();
    String secretName = Objects.requireNonNullElse(status.getSecretName(), plan.secretName());
    var next = StatusFactory.expired(resource, status, now);
    retireSecret(resource, secretName, status);
    statusRecorder.write(resource, context, next);
    return reschedule(
        plan.refreshInterval().isPresent()
            ? InvocationDecision.instant(next.getNextRefreshTime())
            : Optional.empty(),
        now);
  }

  private void retireSecret(
      LambdaInvocation resource, String secretName, LambdaInvocationStatus status) {
    if (secretWriter.deleteIfControlled(namespace(resource), secretName, resource)) {
      observer.secretExpired(
          resource,
          "Secret " + secretName + " expired at " + status.getExpiryTime() + " and was deleted");
      LOG.atInfo()
          .addKeyValue(NAMESPACE, namespace(resource))
          .addKeyValue(NAME, name(resource))
          .addKeyValue(SECRET, secretName)
          .log("Secret expired and was deleted");
    }
  }

  /**
   * Restarts the rollout restart targets for the Secret's data if the status does not record that
   * they were: the operator stopped between writing the Secret and restarting them. No invocation.
   */
  private void finishRolloutRestart(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      InvocationPlan plan,
      LambdaInvocationStatus status) {
    if (status == null || plan.rolloutRestartTargets().isEmpty()) {
      return;
    }
    Optional<Secret> secret =
        named(resultSecrets.getSecondaryResources(resource), plan.secretName())
            .filter(s -> ResultSecret.isControlledBy(s, resource))
            .filter(resultSecret::isIntact);
    if (secret.isEmpty()) {
      return;
    }
    String dataHash = ResultSecret.dataHashOf(secret.get());
    if (Objects.equals(dataHash, restartedFor(status))) {
      return;
    }
    LOG.atInfo()
        .addKeyValue(NAMESPACE, namespace(resource))
        .addKeyValue(NAME, name(resource))
        .addKeyValue(SECRET, plan.secretName())
        .log("The rollout restart targets were not restarted for the Secret's data; restarting");
    rolloutRestarter.restart(resource, plan.rolloutRestartTargets(), plan.secretName());
    statusRecorder.write(resource, context, StatusFactory.rolloutRestarted(status, dataHash));
  }

  private static String restartedFor(LambdaInvocationStatus status) {
    return status == null ? null : status.getRolloutRestartedFor();
  }

  private SecretState observe(
      Context<LambdaInvocation> context,
      LambdaInvocation resource,
      InvocationPlan plan,
      LambdaInvocationStatus status) {
    Set<Secret> owned = resultSecrets.getSecondaryResources(resource);
    Optional<Secret> target = named(owned, plan.secretName());
    if (target.isEmpty()
        && status != null
        && status.getLastInvocationTime() != null
        && plan.secretName().equals(status.getSecretName())) {
      // Before reading the written Secret as deleted, ask the API: when its type changed, the
      // operator deleted and re-created it, and the cache may show the delete but not yet the
      // create. Only this case costs a read: a Secret the status does not name is not expected.
      target =
          secretWriter
              .get(namespace(resource), plan.secretName())
              .filter(s -> ResultSecret.isControlledBy(s, resource));
    }
    SecretObservation observation =
        target
            .map(
                s -> {
                  if (!ResultSecret.isControlledBy(s, resource)) {
                    return SecretObservation.FOREIGN;
                  }
                  return resultSecret.isIntact(s)
                      ? SecretObservation.INTACT
                      : SecretObservation.TAMPERED;
                })
            .orElse(SecretObservation.ABSENT);
    String version =
        target.map(s -> s.getMetadata().getResourceVersion()).orElse(SecretState.ABSENT);
    String written = status == null ? null : status.getSecretName();
    boolean writtenPresent =
        written != null
            && named(owned, written).filter(s -> ResultSecret.isControlledBy(s, resource)).isPresent();
    return new SecretState(observation, version, writtenPresent);
  }

  private static Optional<Secret> named(Set<Secret> secrets, String name) {
    return secrets.stream().filter(s -> name.equals(s.getMetadata().getName())).findFirst();
  }

  /** The resource was deleted: forgets what this process kept about it. */
  private void forget(LambdaInvocation resource) {
    String uid = resource.getMetadata().getUid();
    decided.remove(uid);
    deleteTime.forget(uid);
    var id = ResourceID.fromResource(resource);
    policies.forget(id);
    queue
        .get(id)
        .filter(c -> c.uid().equals(uid))
        .ifPresent(
            c -> {
              // A call still waiting for a slot is not made for a resource that is gone.
              if (c.state() == InvocationQueue.State.FINISHED || queue.cancel(id, c)) {
                queue.remove(id, c);
              }
            });
  }

  /** Forgets, once a minute, what this process kept about resources that no longer exist. */
  private void forgetDeletedResources(Context<LambdaInvocation> context) {
    Instant now = clock.instant();
    if (now.isBefore(lastForget.plus(FORGET_INTERVAL))) {
      return;
    }
    lastForget = now;
    Set<String> live =
        context
            .getPrimaryCache()
            .list()
            .map(r -> r.getMetadata().getUid())
            .collect(Collectors.toSet());
    decided.retainAll(live);
    deleteTime.retain(live);
    queue.retainFinished(c -> live.contains(c.uid()));
  }

  /**
   * Whether the resource now asks for something the running call was not decided on: another
   * generation, invoke request, or value of its inputs.
   */
  private static boolean callIsStale(
      PendingInvocation pending, LambdaInvocation resource, InvocationPlan plan) {
    var decidedOn = pending.decidedOn();
    return !Objects.equals(
            decidedOn.getMetadata().getGeneration(), resource.getMetadata().getGeneration())
        || !Objects.equals(decidedOn.invokeRequest(), resource.invokeRequest())
        || !Objects.equals(pending.plan().inputsHash(), plan.inputsHash());
  }

  private static boolean sameCondition(
      LambdaInvocationStatus status, ReadyReason reason, String message) {
    return status != null
        && status
            .readyCondition()
            .filter(c -> reason.name().equals(c.getReason()) && message.equals(c.getMessage()))
            .isPresent();
  }

  /** The next time the resource needs a reconcile: refresh, expiry or retry. */
  private static Optional<Instant> nextWake(LambdaInvocationStatus status) {
    return Stream.of(status.getNextRefreshTime(), status.getExpiryTime(), status.getNextRetryTime())
        .map(InvocationDecision::instant)
        .flatMap(Optional::stream)
        .min(Instant::compareTo);
  }

  private static UpdateControl<LambdaInvocation> reschedule(Optional<Instant> at, Instant now) {
    UpdateControl<LambdaInvocation> control = UpdateControl.noUpdate();
    at.ifPresent(
        t -> {
          Duration delay = Duration.between(now, t);
          control.rescheduleAfter(
              (delay.isNegative() ? Duration.ZERO : delay).plus(RESCHEDULE_MARGIN));
        });
    return control;
  }

  private static String namespace(LambdaInvocation resource) {
    return resource.getMetadata().getNamespace();
  }

  private static String name(LambdaInvocation resource) {
    return resource.getMetadata().getName();
  }
}
