package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Trigger;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * What a queued call needs to be stored once it finished: the resource as it was decided on (its
 * generation and invoke request are what the status records), the plan, the trigger, and the
 * Secret as it was before the call.
 *
 * @param secretVersion the Secret state the call acts on (see {@link SecretState#version()})
 * @param stored what storing the finished call reached, once: a status write that fails is retried
 *     by the framework, and the retry records this again instead of storing (and reporting) twice
 */
record PendingInvocation(
    LambdaInvocation decidedOn,
    InvocationPlan plan,
    Trigger trigger,
    Optional<Secret> existing,
    String secretVersion,
    AtomicReference<Outcome> stored) {

  PendingInvocation(
      LambdaInvocation decidedOn,
      InvocationPlan plan,
      Trigger trigger,
      Optional<Secret> existing,
      String secretVersion) {
    this(decidedOn, plan, trigger, existing, secretVersion, new AtomicReference<>());
  }

  /** Stores the finished call the first time; afterwards, what that gave. */
  Outcome storeOnce(Supplier<Outcome> store) {
    Outcome outcome = stored.get();
    if (outcome == null) {
      outcome = store.get();
      stored.set(outcome);
    }
    return outcome;
  }
}
