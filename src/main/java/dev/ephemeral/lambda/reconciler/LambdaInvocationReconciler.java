package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.inputs.InputWatch;
import dev.ephemeral.lambda.inputs.PayloadInputs;
import dev.ephemeral.lambda.inputs.ResultRing;
import dev.ephemeral.lambda.invoke.Call;
import dev.ephemeral.lambda.invoke.CallEventSource;
import dev.ephemeral.lambda.invoke.CallGate;
import dev.ephemeral.lambda.invoke.ConcurrencyLimits;
import dev.ephemeral.lambda.invoke.LambdaInvoker;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.invoke.ThrottleScope;
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
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a LambdaInvocation in phases: validate → authorize (policies) → resolve inputs
 * (spec.payloadFrom) → decide → act (queue a call, store a finished call's result, expire the
 * Secret, restart workloads). A phase that stops gives the reconcile's outcome; the status is
 * built from it, written once, and the next wake-up computed once from it ({@link
 * StatusRecorder}).
 *
 * <p>The Lambda call is a secondary resource ({@link CallEventSource}): a reconcile queues it, it
 * runs on the source's own threads, and its finish brings the resource back, where the reconcile
 * finds the finished call in its {@code Context} and stores it. So a reconcile thread never waits
 * on Lambda, and each reconcile invokes at most once, only when {@link InvocationDecision} finds a
 * trigger: the operator's own writes never invoke again.
 */
@ControllerConfiguration(
    name = LambdaInvocationReconciler.CONTROLLER_NAME,
    // The invoke-requested-at annotation does not bump the generation: the filter admits it.
    generationAwareEventProcessing = false,
    // The finalizer of spec.onDelete is on some resources only, so the reconciler manages it
    // itself (JOSDK's Cleaner would put one on every resource) and sees deletions.
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(onUpdateFilter = InvocationTriggerFilter.class))
// A reconcile that failed on the Kubernetes API is taken again until it succeeds: a finished call
// waits in its event source until its status is written, and nothing else would bring it back.
@GradualRetry(maxAttempts = -1, maxInterval = 300_000)
public class LambdaInvocationReconciler implements Reconciler<LambdaInvocation> {

  public static final String CONTROLLER_NAME = "lambdainvocation";
  private static final Logger LOG = LoggerFactory.getLogger(LambdaInvocationReconciler.class);

  private final SpecValidator validator;
  private final CallEventSource<PendingInvocation> calls;
  private final ResultSecret resultSecret;
  private final RetryPolicy retryPolicy;
  private final Clock clock;
  private final InvocationObserver observer;
  private final PayloadInputs inputs;
  private final PolicyEnforcement policies;
  private final StatusRecorder recorder;

  /** The act phase's parts: they need the result-Secret informer, made with the event sources. */
  private Acts acts;

  private record Acts(
      ResultSecrets secrets,
      CallStarter starter,
      StoredCalls stored,
      SecretRetirement retirement,
      RolloutCatchUp rolloutCatchUp,
      PreviousValuesDrop previousValuesDrop,
      OnDeleteCall onDelete) {}

  public LambdaInvocationReconciler(
      SpecValidator validator,
      LambdaInvoker invoker,
      int maxInFlight,
      int maxInFlightPerFunction,
      CallGate gate,
      ResultSecret resultSecret,
      RetryPolicy retryPolicy,
      Clock clock,
      InvocationObserver observer,
      PayloadInputs inputs,
      PolicyEnforcement policies) {
    this.validator = validator;
    this.calls =
        new CallEventSource<>(
            invoker,
            maxInFlight,
            clock,
            gate,
            new ConcurrencyLimits(
                maxInFlight, maxInFlightPerFunction, clock, limitsShownTo(observer)));
    this.resultSecret = resultSecret;
    this.retryPolicy = retryPolicy;
    this.clock = clock;
    this.observer = observer;
    this.inputs = inputs;
    this.policies = policies;
    this.recorder = new StatusRecorder(observer, clock);
  }

  /** The limits and throttles of the call queue, as the observers (metrics) take them. */
  private static ConcurrencyLimits.Listener limitsShownTo(InvocationObserver observer) {
    return new ConcurrencyLimits.Listener() {
      @Override
      public void limitCreated(ThrottleScope scope, String key, ConcurrencyLimits.Limit limit) {
        observer.concurrencyLimit(scope.name().toLowerCase(Locale.ROOT), key, limit::current);
      }

      @Override
      public void throttled(ThrottleScope scope) {
        observer.throttled(scope.name().toLowerCase(Locale.ROOT));
      }
    };
  }

  /** The Lambda calls: how many run and wait, and the stop that lets running ones finish. */
  public CallEventSource<?> calls() {
    return calls;
  }

  @Override
  public List<EventSource<?, LambdaInvocation>> prepareEventSources(
      EventSourceContext<LambdaInvocation> context) {
    var configuration =
        InformerEventSourceConfiguration.from(Secret.class, LambdaInvocation.class)
            .withName("secrets")
            // Only the operator's own Secrets are cached, never every Secret of the cluster; and
            // only this shard's.
            .withLabelSelector(
                SecretLayout.MANAGED_SELECTOR + "," + resultSecret.shard().selector())
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(LambdaInvocation.class))
            .withNamespacesInheritedFromController()
            .build();
    var resultSecrets = new InformerEventSource<Secret, LambdaInvocation>(configuration, context);
    var writer = new SecretWriter(context.getClient(), new OwnSecretWrites(resultSecrets));
    var secrets = new ResultSecrets(resultSecrets, writer, resultSecret);
    var restarter = new RolloutRestarter(context.getClient(), observer, clock);
    var stored =
        new StoredCalls(
            calls, new ResultStore(resultSecret, writer), secrets, restarter, retryPolicy, observer);
    var starter = new CallStarter(calls, secrets, stored);
    acts =
        new Acts(
            secrets,
            starter,
            stored,
            new SecretRetirement(writer, observer),
            new RolloutCatchUp(secrets, restarter),
            new PreviousValuesDrop(secrets, writer, resultSecret),
            new OnDeleteCall(
                validator, policies, calls, starter, stored, retryPolicy, observer));
    List<EventSource<?, LambdaInvocation>> sources = new ArrayList<>(List.of(resultSecrets, calls));
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
      // The call event source hears of the deletion from the framework itself.
      policies.forget(ResourceID.fromResource(resource));
      return UpdateControl.noUpdate();
    }
    Instant now = clock.instant();
    Optional<Call<PendingInvocation>> call = callOf(resource, context);
    if (call.isPresent() && !call.get().uid().equals(resource.getMetadata().getUid())) {
      // A predecessor under this name (deleted and recreated, as kubectl replace or Argo CD's
      // Replace=true do): its running call finishes first, and brings this one back; a finished
      // call's result belongs to nobody now.
      if (!call.get().isFinished()) {
        return UpdateControl.noUpdate();
      }
      calls.consume(resource, call.get());
      call = Optional.empty();
    }
    return recorder.record(resource, context, outcome(resource, context, call, now), now);
  }

  private Outcome outcome(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Optional<Call<PendingInvocation>> call,
      Instant now) {
    if (call.filter(Call::isFinished).isPresent()) {
      return finished(resource, context, call.get(), now);
    }
    if (resource.isMarkedForDeletion()) {
      // A resource being deleted is never invoked as usual; with spec.onDelete, it is once more.
      return acts.onDelete().reconcile(resource, context, call, now);
    }
    // Phase 1: validate, the spec and the chain of results it reads.
    var validation = validator.validate(resource);
    Optional<String> invalid =
        validation instanceof SpecValidator.Invalid i
            ? Optional.of(i.message())
            : ResultRing.find(
                resource,
                ((SpecValidator.Valid) validation).plan(),
                () -> context.getPrimaryCache().list(resource.getMetadata().getNamespace()));
    if (invalid.isPresent()) {
      policies.notChecked(ResourceID.fromResource(resource));
      acts.retirement().retireIfExpired(resource, now);
      return stop(resource, call, NotInvoking.invalidSpec(invalid.get()));
    }
    InvocationPlan plan = ((SpecValidator.Valid) validation).plan();
    // Phase 2: authorize.
    Permit permit = policies.check(resource, plan);
    if (permit instanceof Permit.Denied denied) {
      if (denied.revoke()) {
        acts.retirement().revoke(resource);
      } else {
        acts.retirement().retireIfExpired(resource, now);
      }
      return stop(resource, call, NotInvoking.notAllowed(denied));
    }
    OnDeleteFinalizer.keep(resource, context, plan);
    // Phase 3: resolve the inputs.
    var resolution = inputs.resolve(resource, plan);
    if (resolution instanceof PayloadInputs.Unusable unusable) {
      acts.retirement().retireIfExpired(resource, now);
      return stop(
          resource, call, NotInvoking.inputsUnusable(unusable.reason(), unusable.message()));
    }
    plan = ((PayloadInputs.Resolved) resolution).plan();
    // Phase 4: decide.
    boolean firstDecision = calls.firstDecision(resource);
    Decision decision =
        InvocationDecision.decide(
            resource,
            plan,
            resource.getStatus(),
            acts.secrets().observe(resource, plan, resource.getStatus()),
            call.isEmpty() && firstDecision,
            now);
    // Phase 5: act.
    return act(resource, context, call, plan, decision, permit, now);
  }

  private Outcome act(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Optional<Call<PendingInvocation>> call,
      InvocationPlan plan,
      Decision decision,
      Permit permit,
      Instant now) {
    if (decision instanceof Decision.Retire) {
      // The ttl runs while a call is under way too.
      return acts.retirement().expire(resource, plan);
    }
    if (decision instanceof Decision.Wait) {
      if (call.isPresent()) {
        return Outcome.NONE;
      }
      return acts.previousValuesDrop()
          .dropIfDue(resource, now)
          .orElseGet(() -> acts.rolloutCatchUp().finish(resource, plan));
    }
    if (call.isPresent()) {
      // One call per resource at a time: its finish decides again if it no longer covers this.
      if (CallStarter.isStale(call.get(), resource, plan)) {
        call.get().redecideWhenStored();
      }
      return Outcome.NONE;
    }
    Trigger trigger = ((Decision.Invoke) decision).trigger();
    return acts.starter().start(resource, context, plan, trigger, (Permit.Allowed) permit);
  }

  /** A finished call: a regular one is stored, a delete-time one decides the finalizer's fate. */
  private Outcome finished(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      Call<PendingInvocation> call,
      Instant now) {
    if (OnDeleteCall.isOnDeleteCall(call)) {
      return acts.onDelete().afterCall(resource, context, call, now);
    }
    if (resource.isMarkedForDeletion()) {
      // The resource is going, and its Secret with it: the result is not stored.
      acts.stored().drop(resource, call);
      return acts.onDelete().reconcile(resource, context, Optional.empty(), now);
    }
    return acts.stored().store(resource, call);
  }

  /**
   * A phase found a reason not to invoke: a call still waiting for a slot is not made, and the
   * reason is recorded; one already running is reported after its finish, which decides again.
   */
  private Outcome stop(
      LambdaInvocation resource, Optional<Call<PendingInvocation>> call, Outcome outcome) {
    if (call.isPresent() && !calls.cancel(resource, call.get())) {
      call.get().redecideWhenStored();
      return Outcome.NONE;
    }
    return outcome;
  }

  @SuppressWarnings("unchecked")
  private static Optional<Call<PendingInvocation>> callOf(
      LambdaInvocation resource, Context<LambdaInvocation> context) {
    return context.getSecondaryResource(Call.class).map(c -> (Call<PendingInvocation>) c);
  }

  /**
   * Failures outside the call (the Kubernetes API refused or failed a read, a delete or a status
   * write): the framework retries the reconcile with its backoff. The status is left as it is, so
   * the decision that failed is taken again, not skipped; a finished call stays in its event
   * source until its status is written.
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
}
