package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.invoke.Call;
import dev.ephemeral.lambda.invoke.CallEventSource;
import dev.ephemeral.lambda.invoke.InvocationRequest;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Trigger;
import dev.ephemeral.lambda.policy.Permit;
import dev.ephemeral.lambda.secret.ResultSecret;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queues a resource's call on the {@link CallEventSource}: the regular call, after checking that
 * the Secret it will write is not someone else's, or the call of spec.onDelete.
 */
final class CallStarter {

  private static final Logger LOG = LoggerFactory.getLogger(CallStarter.class);

  private final CallEventSource<PendingInvocation> calls;
  private final ResultSecrets secrets;
  private final StoredCalls stored;

  CallStarter(
      CallEventSource<PendingInvocation> calls, ResultSecrets secrets, StoredCalls stored) {
    this.calls = calls;
    this.secrets = secrets;
    this.stored = stored;
  }

  /**
   * Queues the regular call. A Secret of the planned name that is known not to be the resource's
   * means no call: the outcome is SecretConflict (see {@link ResultSecrets#beforeCall} for what is
   * known without a read).
   */
  Outcome start(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      InvocationPlan plan,
      Trigger trigger,
      Permit.Allowed permit) {
    if (!calls.isAccepting()) {
      return Outcome.NONE;
    }
    Optional<Secret> existing = secrets.beforeCall(resource, plan.secretName());
    if (existing.isPresent() && !ResultSecret.isOwnedOrLeftFor(existing.get(), resource)) {
      var status = resource.getStatus();
      return stored.failed(
          resource,
          plan,
          trigger,
          ResultStore.conflict(plan.secretName()),
          status == null ? null : status.getLastHandledSecretVersion());
    }
    // Whatever the trigger, this state of the Secret is now acted on: if the call fails, the
    // same missing or edited Secret is not a reason to call again.
    String secretVersion =
        existing.map(s -> s.getMetadata().getResourceVersion()).orElse(SecretState.ABSENT);
    var pending =
        new PendingInvocation(clone(resource, context), plan, trigger, existing, secretVersion);
    submit(resource, plan, trigger, plan.payload(), plan.tailLog(), permit, pending);
    return Outcome.NONE;
  }

  /** Queues the call of spec.onDelete: its payload as written, and nothing of it is stored. */
  void startOnDelete(
      LambdaInvocation resource,
      Context<LambdaInvocation> context,
      InvocationPlan plan,
      Permit.Allowed permit) {
    var pending =
        new PendingInvocation(
            clone(resource, context), plan, Trigger.ON_DELETE, Optional.empty(), SecretState.ABSENT);
    submit(
        resource,
        plan,
        Trigger.ON_DELETE,
        plan.onDeletePayload().orElseThrow(),
        false,
        permit,
        pending);
  }

  /**
   * Whether the resource now asks for something the call was not decided on: another generation,
   * invoke request, or value of its inputs.
   */
  static boolean isStale(Call<PendingInvocation> call, LambdaInvocation resource, InvocationPlan plan) {
    var pending = call.context();
    var decidedOn = pending.decidedOn();
    return !Objects.equals(
            decidedOn.getMetadata().getGeneration(), resource.getMetadata().getGeneration())
        || !Objects.equals(decidedOn.invokeRequest(), resource.invokeRequest())
        || !Objects.equals(pending.plan().inputsHash(), plan.inputsHash());
  }

  private void submit(
      LambdaInvocation resource,
      InvocationPlan plan,
      Trigger trigger,
      byte[] payload,
      boolean tailLog,
      Permit.Allowed permit,
      PendingInvocation pending) {
    LOG.atInfo()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .addKeyValue(TRIGGER, trigger)
        .addKeyValue(FUNCTION, plan.functionName())
        .log("Invoking Lambda function");
    calls.submit(
        resource,
        new InvocationRequest(
            plan.functionName(),
            plan.qualifier(),
            plan.region(),
            payload,
            plan.clientContext(),
            tailLog,
            plan.timeout(),
            permit.role()),
        pending);
  }

  /** The resource as it was decided on: what the status of the finished call records. */
  private static LambdaInvocation clone(
      LambdaInvocation resource, Context<LambdaInvocation> context) {
    return context
        .getControllerConfiguration()
        .getConfigurationService()
        .getResourceCloner()
        .clone(resource);
  }
}
