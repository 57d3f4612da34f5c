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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
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

  /**
   * How soon a reconcile that found no room under the in-flight limit (or its name busy) comes
   * back: this, plus up to as much again at random so that waiting resources spread out.
   */
  private static final Duration BUSY_RETRY = Duration.ofSeconds(1);

  /** How soon a status that could not be written is tried again. */
  private static final Duration STATUS_RETRY = Duration.ofSeconds(5);

  private static final Duration FORGET_INTERVAL = Duration.ofMinutes(1);

  private final SpecValidator validator;
  private final LambdaInvoker invoker;
  private final InFlightLimit inFlight;
  private final ResultSecret resultSecret;
  private final RetryPolicy retryPolicy;
  private final Clock clock;
  private final InvocationObserver observer;
  private final InvocationMemory memory = new InvocationMemory();
  private final AtomicBoolean invocationsPaused = new AtomicBoolean();
  private final Map<String, Object> busyNames = new ConcurrentHashMap<>();
  private final Set<String> waitingNames = ConcurrentHashMap.newKeySet();
  private volatile Instant lastForget = Instant.EPOCH;
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
    String key = resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
    // One reconcile per name at a time. The framework ensures that per resource, but not across a
    // delete and recreate under the same name (kubectl replace, Argo CD Replace=true): the
    // successor waits until its predecessor's reconcile is done.
    Object token = new Object();
    if (busyNames.putIfAbsent(key, token) != null) {
      waitingNames.add(key);
      return UpdateControl.<LambdaInvocation>noUpdate().rescheduleAfter(busyDelay());
    }
    UpdateControl<LambdaInvocation> control = UpdateControl.noUpdate();
    try {
      forgetDeletedResources(context);
      var step = new Step(resource, context, clock.instant());
      control = step.run();
      if (step.statusPending) {
        // The status did not reach the API server: try again soon, not at the next event.
        soonest(control, STATUS_RETRY);
      }
      return control;
    } finally {
      busyNames.remove(key, token);
      if (waitingNames.remove(key)) {
        // A successor under this name was turned away meanwhile; the framework keeps one timer
        // per name and this reconcile's outcome replaces it, so wake the successor from here.
        soonest(control, Duration.ofMillis(100));
      }
    }
  }

  private static boolean sameCondition(
      LambdaInvocationStatus status, ReadyReason reason, String message) {
    return status != null
        && status
            .readyCondition()
            .filter(c -> reason.name().equals(c.getReason()) && message.equals(c.getMessage()))
            .isPresent();
  }

  private static void soonest(UpdateControl<LambdaInvocation> control, Duration delay) {
    long millis = delay.toMillis();
    control.rescheduleAfter(Math.min(control.getScheduleDelay().orElse(millis), millis));
  }

  private static Duration busyDelay() {
    return BUSY_RETRY.plusMillis(ThreadLocalRandom.current().nextLong(BUSY_RETRY.toMillis()));
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
    Instant now = clock.instant();
    if (now.isBefore(lastForget.plus(FORGET_INTERVAL))) {
      return;
    }
    lastForget = now;
    memory.retainOnly(
        context.getPrimaryCache().list().map(r -> r.getMetadata().getUid()).collect(Collectors.toSet()));
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
    private final Optional<ResourceMemory> remembered;
    private final LambdaInvocationStatus status;
    private final Instant now;
    private final String uid;
    private final SecretWriter secretWriter;
    /** Set once the function was called in this reconcile, for {@link #reportInvocation}. */
    private Trigger invokedFor;
    private Duration latency;
    /** A status write failed; the status waits in memory for the next reconcile. */
    boolean statusPending;

    Step(LambdaInvocation resource, Context<LambdaInvocation> context, Instant now) {
      this.resource = resource;
      this.context = context;
      this.now = now;
      this.uid = resource.getMetadata().getUid();
      this.remembered = memory.get(uid);
      this.status = remembered.map(ResourceMemory::lastWrittenStatus).orElse(resource.getStatus());
      this.secretWriter = new SecretWriter(context.getClient());
    }

    UpdateControl<LambdaInvocation> run() {
      if (remembered.filter(m -> m.lastWrittenStatus() != null && !m.statusPersisted()).isPresent()) {
        // The last status write failed after its decision was taken: finish it, never re-decide.
        writeStatus(status);
      }
      SpecValidator.Result validation = validator.validate(resource);
      if (validation instanceof SpecValidator.Invalid invalid) {
        return reportInvalid(invalid.message());
      }
      InvocationPlan plan = ((SpecValidator.Valid) validation).plan();
      Decision decision =
          InvocationDecision.decide(
              resource,
              plan,
              status,
              observe(context, resource, plan, status),
              remembered.orElse(null),
              now);
      if (decision instanceof Decision.Invoke invoke) {
        return invoke(plan, invoke.trigger());
      }
      if (decision instanceof Decision.Retire) {
        return retire(plan);
      }
      memory.update(uid, m -> m);
      return reschedule(((Decision.Wait) decision).until(), now);
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
        return UpdateControl.<LambdaInvocation>noUpdate().rescheduleAfter(busyDelay());
      }
      Optional<Secret> existing;
      InvocationResult result;
      Instant finished;
      try {
        existing = secretWriter.get(namespace(), plan.secretName());
        if (existing.isPresent() && !ResultSecret.isOwnedOrLeftFor(existing.get(), resource)) {
          inFlight.release();
          return conflict(plan, trigger);
        }
        // Whatever the trigger, this state of the Secret is now acted on: if the call fails, the
        // Secret it left (whose hash this process may not be able to check, after a restart) is
        // not a reason to call again.
        String version =
            existing.map(s -> s.getMetadata().getResourceVersion()).orElse(SecretState.ABSENT);
        memory.update(uid, m -> m.withActedOnSecret(version));
        LOG.atInfo()
            .addKeyValue(NAMESPACE, namespace())
            .addKeyValue(NAME, name())
            .addKeyValue(TRIGGER, trigger)
            .addKeyValue(FUNCTION, plan.functionName())
            .log("Invoking Lambda function");
        Instant started = clock.instant();
        result =
            invoker.invoke(
                new InvocationRequest(
                    plan.functionName(),
                    plan.qualifier(),
                    plan.region(),
                    plan.payload(),
                    plan.clientContext(),
                    plan.tailLog(),
                    plan.timeout()));
        finished = clock.instant();
        invokedFor = trigger;
        latency = Duration.between(started, finished);
      } catch (RuntimeException e) {
        inFlight.release();
        throw e;
      }
      // The permit covers the call only, not the API writes that follow.
      inFlight.release();
      if (result instanceof InvocationResult.Failed failed) {
        return failure(plan, trigger, failed, finished);
      }
      return store(plan, trigger, (InvocationResult.Succeeded) result, existing, finished);
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
      // Secrets of earlier names (the one the status named, and any whose delete failed before)
      // go once the new one is written.
      Set<String> earlier = new java.util.TreeSet<>();
      if (status != null && status.getSecretName() != null) {
        earlier.add(status.getSecretName());
      }
      context.getSecondaryResources(Secret.class).stream()
          .filter(s -> ResultSecret.isControlledBy(s, resource))
          .forEach(s -> earlier.add(s.getMetadata().getName()));
      earlier.remove(plan.secretName());
      earlier.forEach(this::deleteQuietly);
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
     * quota, permissions) would be rejected again, so another run waits for a trigger; a conflict
     * that outlasted the writer's own retries, API throttling, a server or connection failure is
     * retried with backoff.
     */
    private InvocationResult.Failed writeFailure(InvocationPlan plan, KubernetesClientException e) {
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
      if (!sameCondition(status, failed.reason(), message)) {
        // An Event for each change, not for each slow retry of the same failure.
        observer.failed(resource, failed.reason(), message);
      }
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
      if (!stillExists()) {
        // Deleted (perhaps recreated under the same name) while this reconcile ran: the status
        // belongs to nobody now, and must not land on a successor.
        memory.update(uid, ResourceMemory::persisted);
        return;
      }
      try {
        new StatusWriter(context.getClient()).write(resource, next);
        memory.update(uid, ResourceMemory::persisted);
        statusPending = false;
      } catch (KubernetesClientException e) {
        statusPending = true;
        LOG.atWarn()
            .addKeyValue(NAMESPACE, namespace())
            .addKeyValue(NAME, name())
            .addKeyValue("httpCode", e.getCode())
            .log("Could not write the status; trying again shortly");
      }
    }

    private boolean stillExists() {
      return context
          .getPrimaryCache()
          .get(ResourceID.fromResource(resource))
          .filter(cached -> uid.equals(cached.getMetadata().getUid()))
          .isPresent();
    }

    private String namespace() {
      return resource.getMetadata().getNamespace();
    }

    private String name() {
      return resource.getMetadata().getName();
    }
  }
}
