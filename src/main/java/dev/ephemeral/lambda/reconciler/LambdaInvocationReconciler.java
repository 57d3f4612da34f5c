package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InFlightLimit;
import dev.ephemeral.lambda.invoke.InvocationRequest;
import dev.ephemeral.lambda.invoke.InvocationResult;
import dev.ephemeral.lambda.invoke.LambdaInvoker;
import dev.ephemeral.lambda.invoke.RetryClass;
import dev.ephemeral.lambda.secret.ResultSecret;
import dev.ephemeral.lambda.secret.SecretLayout;
import dev.ephemeral.lambda.secret.SecretWriter;
import dev.ephemeral.lambda.validation.InvocationPlan;
import dev.ephemeral.lambda.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a LambdaInvocation: validate, decide (invoke, retire or wait), do it, record status.
 * Each reconcile invokes at most once, and only when {@link InvocationDecision} finds a trigger, so
 * the operator's own writes (status, Secret) never lead to another invocation.
 */
@ControllerConfiguration(
    name = LambdaInvocationReconciler.CONTROLLER_NAME,
    // The invoke-requested-at annotation does not bump the generation: the filter admits it.
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = InvocationTriggerFilter.class))
public class LambdaInvocationReconciler implements Reconciler<LambdaInvocation> {

  public static final String CONTROLLER_NAME = "lambdainvocation";
  private static final Logger LOG = LoggerFactory.getLogger(LambdaInvocationReconciler.class);
  private static final Duration RESCHEDULE_MARGIN = Duration.ofMillis(100);

  /** How soon a reconcile that found no room under the in-flight limit comes back. */
  private static final Duration BUSY_RETRY = Duration.ofSeconds(1);

  private final SpecValidator validator;
  private final LambdaInvoker invoker;
  private final InFlightLimit inFlight;
  private final ResultSecret resultSecret;
  private final RetryPolicy retryPolicy;
  private final Clock clock;
  private final InvocationObserver observer;
  private final InvocationMemory memory = new InvocationMemory();
  private final AtomicBoolean invocationsPaused = new AtomicBoolean();
  private InformerEventSource<Secret, LambdaInvocation> secrets;

  public LambdaInvocationReconciler(
      SpecValidator validator,
      LambdaInvoker invoker,
      InFlightLimit inFlight,
      ResultSecret resultSecret,
      RetryPolicy retryPolicy,
      Clock clock,
      InvocationObserver observer) {
    this.validator = validator;
    this.invoker = invoker;
    this.inFlight = inFlight;
    this.resultSecret = resultSecret;
    this.retryPolicy = retryPolicy;
    this.clock = clock;
    this.observer = observer;
  }

  /** Stops new invocations for good (this replica lost its leadership and is about to exit). */
  public void pauseInvocations() {
    invocationsPaused.set(true);
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
    secrets = new InformerEventSource<>(configuration, context);
    return List.of(secrets);
  }

  @Override
  public UpdateControl<LambdaInvocation> reconcile(
      LambdaInvocation resource, Context<LambdaInvocation> context) {
    forgetDeletedResources(context);
    String uid = resource.getMetadata().getUid();
    Optional<ResourceMemory> remembered = memory.get(uid);
    LambdaInvocationStatus status =
        remembered.map(ResourceMemory::lastWrittenStatus).orElse(resource.getStatus());
    Instant now = clock.instant();
    var step = new Step(resource, context, status, now);
    if (remembered.filter(m -> m.lastWrittenStatus() != null && !m.statusPersisted()).isPresent()) {
      // The last status write failed after its decision was taken: finish it, never re-decide.
      step.writeStatus(status);
    }

    SpecValidator.Result validation = validator.validate(resource);
    if (validation instanceof SpecValidator.Invalid invalid) {
      return step.reportInvalid(invalid.message());
    }
    InvocationPlan plan = ((SpecValidator.Valid) validation).plan();
    Decision decision =
        InvocationDecision.decide(
            resource, plan, status, observe(context, resource, plan, status), remembered.orElse(null), now);
    if (decision instanceof Decision.Invoke invoke) {
      return step.invoke(plan, invoke.trigger());
    }
    if (decision instanceof Decision.Retire) {
      return step.retire(plan);
    }
    memory.update(uid, m -> m);
    return reschedule(((Decision.Wait) decision).until(), now);
  }

  private SecretState observe(
      Context<LambdaInvocation> context,
      LambdaInvocation resource,
      InvocationPlan plan,
      LambdaInvocationStatus status) {
    Set<Secret> owned = context.getSecondaryResources(Secret.class);
    Optional<Secret> target = named(owned, plan.secretName());
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

  private void forgetDeletedResources(Context<LambdaInvocation> context) {
    var cache = context.getPrimaryCache();
    if (memory.size() > 2 * cache.list().count() + 64) {
      memory.retainOnly(
          cache.list().map(r -> r.getMetadata().getUid()).collect(Collectors.toSet()));
    }
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

  /** One reconcile of one resource. */
  private final class Step {
    private final LambdaInvocation resource;
    private final Context<LambdaInvocation> context;
    private final LambdaInvocationStatus status;
    private final Instant now;
    private final String uid;
    private final SecretWriter secretWriter;
    /** Set once the function was called in this reconcile, for {@link #reportInvocation}. */
    private Trigger invokedFor;
    private Duration latency;

    Step(
        LambdaInvocation resource,
        Context<LambdaInvocation> context,
        LambdaInvocationStatus status,
        Instant now) {
      this.resource = resource;
      this.context = context;
      this.status = status;
      this.now = now;
      this.uid = resource.getMetadata().getUid();
      this.secretWriter = new SecretWriter(context.getClient());
    }

    UpdateControl<LambdaInvocation> reportInvalid(String message) {
      memory.update(uid, m -> m.withRetry(null));
      var next =
          StatusFactory.failed(
              resource,
              status,
              Optional.empty(),
              ReadyReason.InvalidSpec,
              message + "; fix the spec",
              now);
      if (!next.equals(status)) {
        observer.failed(
            resource, ReadyReason.InvalidSpec, next.readyCondition().orElseThrow().getMessage());
        LOG.atWarn()
            .addKeyValue(NAMESPACE, namespace())
            .addKeyValue(NAME, name())
            .addKeyValue(REASON, ReadyReason.InvalidSpec)
            .log("Invalid spec, not invoking: {}", message);
        writeStatus(next);
      }
      // An invalid spec stops invocations, not the ttl of a Secret written before.
      Optional<Instant> expiry =
          status == null || status.getSecretName() == null
              ? Optional.empty()
              : InvocationDecision.instant(status.getExpiryTime());
      if (expiry.filter(t -> !now.isBefore(t)).isPresent()) {
        retireSecret(status.getSecretName(), next);
        return UpdateControl.noUpdate();
      }
      return reschedule(expiry, now);
    }

    UpdateControl<LambdaInvocation> invoke(InvocationPlan plan, Trigger trigger) {
      if (invocationsPaused.get()) {
        return UpdateControl.noUpdate();
      }
      if (!inFlight.tryAcquire()) {
        return UpdateControl.<LambdaInvocation>noUpdate().rescheduleAfter(BUSY_RETRY);
      }
      try {
        Optional<Secret> existing = secretWriter.get(namespace(), plan.secretName());
        if (existing.isPresent() && !ResultSecret.isOwnedOrLeftFor(existing.get(), resource)) {
          return conflict(plan, trigger);
        }
        if (trigger == Trigger.SECRET_DELETED || trigger == Trigger.SECRET_CHANGED) {
          String version =
              existing.map(s -> s.getMetadata().getResourceVersion()).orElse(SecretState.ABSENT);
          memory.update(uid, m -> m.withActedOnSecret(version));
        }
        LOG.atInfo()
            .addKeyValue(NAMESPACE, namespace())
            .addKeyValue(NAME, name())
            .addKeyValue(TRIGGER, trigger)
            .addKeyValue(FUNCTION, plan.functionName())
            .log("Invoking Lambda function");
        Instant started = clock.instant();
        InvocationResult result =
            invoker.invoke(
                new InvocationRequest(
                    plan.functionName(),
                    plan.qualifier(),
                    plan.region(),
                    plan.payload(),
                    plan.clientContext(),
                    plan.tailLog(),
                    plan.timeout()));
        Instant finished = clock.instant();
        invokedFor = trigger;
        latency = Duration.between(started, finished);
        Instant invokedAt = finished.truncatedTo(ChronoUnit.SECONDS);
        if (result instanceof InvocationResult.Failed failed) {
          return failure(plan, trigger, failed, invokedAt);
        }
        return store(plan, trigger, (InvocationResult.Succeeded) result, existing, invokedAt);
      } finally {
        inFlight.release();
      }
    }

    private UpdateControl<LambdaInvocation> store(
        InvocationPlan plan,
        Trigger trigger,
        InvocationResult.Succeeded result,
        Optional<Secret> existing,
        Instant invokedAt) {
      var build = resultSecret.build(resource, plan, result, invokedAt);
      if (build instanceof ResultSecret.Rejected rejected) {
        return failure(
            plan,
            trigger,
            new InvocationResult.Failed(
                rejected.reason(), RetryClass.ON_TRIGGER, rejected.message()),
            invokedAt);
      }
      Secret desired = ((ResultSecret.Built) build).secret();
      Optional<SecretWriter.Written> written;
      try {
        written = secretWriter.write(desired, existing, resource);
      } catch (KubernetesClientException e) {
        return failure(plan, trigger, writeFailure(plan, e), invokedAt);
      }
      if (written.isEmpty()) {
        return conflict(plan, trigger);
      }
      reportInvocation(ReadyReason.Invoked);
      observer.secretWritten(resource);
      var id = ResourceID.fromResource(resource);
      Secret stored = written.get().stored();
      written
          .get()
          .replaced()
          .ifPresentOrElse(
              previous -> secrets.handleRecentResourceUpdate(id, stored, previous),
              () -> secrets.handleRecentResourceCreate(id, stored));
      String previousSecret = status == null ? null : status.getSecretName();
      if (previousSecret != null && !previousSecret.equals(plan.secretName())) {
        deleteQuietly(previousSecret);
      }
      LOG.atInfo()
          .addKeyValue(NAMESPACE, namespace())
          .addKeyValue(NAME, name())
          .addKeyValue(TRIGGER, trigger)
          .addKeyValue(STATUS_CODE, result.statusCode())
          .addKeyValue(EXECUTED_VERSION, result.executedVersion())
          .addKeyValue(SECRET, plan.secretName())
          .log("Invocation succeeded, result written to Secret");
      var next = StatusFactory.succeeded(resource, status, plan, result, invokedAt);
      memory.update(uid, m -> m.withRetry(null).withRejectedGeneration(null).withActedOnSecret(null));
      writeStatus(next);
      return reschedule(
          Stream.of(next.getNextRefreshTime(), next.getExpiryTime())
              .map(InvocationDecision::instant)
              .flatMap(Optional::stream)
              .min(Instant::compareTo),
          invokedAt);
    }

    /**
     * The function ran but its result could not be stored. A rejected write (4xx: invalid object,
     * quota, permissions) would be rejected again, so another run waits for a trigger; a server or
     * connection failure is retried with backoff.
     */
    private InvocationResult.Failed writeFailure(InvocationPlan plan, KubernetesClientException e) {
      int code = e.getCode();
      boolean rejected = code >= 400 && code < 500;
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

    private UpdateControl<LambdaInvocation> conflict(InvocationPlan plan, Trigger trigger) {
      return failure(
          plan,
          trigger,
          new InvocationResult.Failed(
              ReadyReason.SecretConflict,
              RetryClass.SLOW,
              "Secret "
                  + plan.secretName()
                  + " exists and is not controlled by this LambdaInvocation;"
                  + " it was left untouched: delete it, or set spec.secret.name to another name"),
          now);
    }

    private UpdateControl<LambdaInvocation> failure(
        InvocationPlan plan, Trigger trigger, InvocationResult.Failed failed, Instant at) {
      reportInvocation(failed.reason());
      RetryState previousRetry = memory.get(uid).map(ResourceMemory::retry).orElse(null);
      RetryState nextRetry = null;
      boolean rejectsGeneration = false;
      String message = failed.message();
      switch (failed.retry()) {
        case BACKOFF -> {
          int attempts =
              trigger == Trigger.RETRY && previousRetry != null ? previousRetry.attempts() + 1 : 1;
          if (attempts <= retryPolicy.maxRetries()) {
            Duration delay = retryPolicy.backoff(attempts);
            Duration wait = failed.retryAfter().filter(d -> d.compareTo(delay) > 0).orElse(delay);
            nextRetry = new RetryState(attempts, at.plus(wait));
            message +=
                "; retry "
                    + attempts
                    + " of "
                    + retryPolicy.maxRetries()
                    + " at "
                    + StatusFactory.format(nextRetry.nextAttemptAt());
          } else {
            message += "; retries exhausted, waiting for the next trigger";
          }
        }
        case SLOW -> {
          nextRetry = new RetryState(0, at.plus(retryPolicy.slowInterval()));
          message += "; retrying every " + retryPolicy.slowInterval().toSeconds() + "s";
        }
        case ON_TRIGGER -> message += "; not retried until the next trigger";
        case ON_SPEC_CHANGE -> {
          rejectsGeneration = true;
          message += "; not retried until the spec changes";
        }
      }
      LOG.atWarn()
          .addKeyValue(NAMESPACE, namespace())
          .addKeyValue(NAME, name())
          .addKeyValue(TRIGGER, trigger)
          .addKeyValue(REASON, failed.reason())
          .log("Invocation failed: {}", message);
      observer.failed(resource, failed.reason(), message);
      Long rejected = rejectsGeneration ? resource.getMetadata().getGeneration() : null;
      RetryState retry = nextRetry;
      memory.update(uid, m -> m.withRetry(retry).withRejectedGeneration(rejected));
      var next =
          StatusFactory.failed(
              resource,
              status,
              Optional.of(plan),
              failed.reason(),
              message,
              at,
              // Shown only for backoff retries: "still trying". Slow retries mean "needs a fix".
              failed.retry() == RetryClass.BACKOFF && retry != null ? retry.nextAttemptAt() : null);
      writeStatus(next);
      // An earlier Secret may still exist: its ttl keeps running through failures.
      Optional<Instant> expiry = InvocationDecision.instant(next.getExpiryTime());
      return reschedule(
          Stream.of(
                  Optional.ofNullable(retry).map(RetryState::nextAttemptAt),
                  InvocationDecision.instant(next.getNextRefreshTime()),
                  expiry.filter(at::isBefore))
              .flatMap(Optional::stream)
              .min(Instant::compareTo),
          at);
    }

    UpdateControl<LambdaInvocation> retire(InvocationPlan plan) {
      String secretName = Objects.requireNonNullElse(status.getSecretName(), plan.secretName());
      var next = StatusFactory.expired(resource, status, now);
      memory.update(uid, m -> m.withRetry(null));
      retireSecret(secretName, next);
      writeStatus(next);
      return reschedule(
          plan.refreshInterval().isPresent()
              ? InvocationDecision.instant(next.getNextRefreshTime())
              : Optional.empty(),
          now);
    }

    private void retireSecret(String secretName, LambdaInvocationStatus next) {
      if (secretWriter.deleteIfControlled(namespace(), secretName, resource)) {
        observer.secretExpired(
            resource,
            "Secret " + secretName + " expired at " + status.getExpiryTime() + " and was deleted");
        LOG.atInfo()
            .addKeyValue(NAMESPACE, namespace())
            .addKeyValue(NAME, name())
            .addKeyValue(SECRET, secretName)
            .log("Secret expired and was deleted");
      }
    }

    /** Deletes a Secret the operator replaced; a failure only leaves it to garbage collection. */
    private void deleteQuietly(String secretName) {
      try {
        secretWriter.deleteIfControlled(namespace(), secretName, resource);
      } catch (KubernetesClientException e) {
        LOG.atWarn()
            .addKeyValue(NAMESPACE, namespace())
            .addKeyValue(NAME, name())
            .addKeyValue(SECRET, secretName)
            .addKeyValue("httpCode", e.getCode())
            .log("Could not delete the Secret the spec no longer names");
      }
    }

    private void reportInvocation(ReadyReason outcome) {
      if (invokedFor != null) {
        observer.invoked(resource, invokedFor, outcome, latency);
        invokedFor = null;
      }
    }

    /**
     * Records the status in memory first, so that a failed write (retried by the framework) is
     * finished by the next reconcile instead of deciding, and invoking, again.
     */
    void writeStatus(LambdaInvocationStatus next) {
      memory.update(uid, m -> m.withStatus(next));
      new StatusWriter(context.getClient()).write(resource, next);
      memory.update(uid, ResourceMemory::persisted);
    }

    private String namespace() {
      return resource.getMetadata().getNamespace();
    }

    private String name() {
      return resource.getMetadata().getName();
    }
  }
}
