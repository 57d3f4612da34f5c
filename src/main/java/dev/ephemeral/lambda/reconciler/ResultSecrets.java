package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.secret.ResultSecret;
import dev.ephemeral.lambda.secret.SecretWriter;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.Shard;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the operator knows of a resource's result Secrets: its labelled informer (never the
 * informers of spec.payloadFrom, which hold Secrets without data) and, where the cache cannot be
 * trusted, the API.
 */
final class ResultSecrets {

  private final InformerEventSource<Secret, LambdaInvocation> informer;
  private final SecretWriter writer;
  private final ResultSecret resultSecret;
  private final Shard shard;

  ResultSecrets(
      InformerEventSource<Secret, LambdaInvocation> informer,
      SecretWriter writer,
      ResultSecret resultSecret) {
    this.informer = informer;
    this.writer = writer;
    this.resultSecret = resultSecret;
    this.shard = resultSecret.shard();
  }

  /** The state of the Secret the plan names, and of the one the status says was written. */
  SecretState observe(
      LambdaInvocation resource, InvocationPlan plan, LambdaInvocationStatus status) {
    Set<Secret> owned = informer.getSecondaryResources(resource);
    Optional<Secret> target = named(owned, plan.secretName());
    if (target.isEmpty()
        && status != null
        && status.getLastInvocationTime() != null
        && plan.secretName().equals(status.getSecretName())) {
      // Before reading the written Secret as deleted, ask the API: when its type changed, the
      // operator deleted and re-created it, and the cache may show the delete but not yet the
      // create. Only this case costs a read: a Secret the status does not name is not expected.
      // Or the resource came from another shard (relabelled), whose label its Secret still
      // carries: this shard takes the Secret over by relabelling it, and caches it from then on.
      target =
          writer
              .get(resource.getMetadata().getNamespace(), plan.secretName())
              .filter(s -> ResultSecret.isControlledBy(s, resource))
              .map(s -> shard.holds(s.getMetadata().getLabels()) ? s : writer.relabel(s, shard));
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

  /** The resource's Secret of that name, controlled by it and holding data as written. */
  Optional<Secret> intact(LambdaInvocation resource, String name) {
    return named(informer.getSecondaryResources(resource), name)
        .filter(s -> ResultSecret.isControlledBy(s, resource))
        .filter(resultSecret::isIntact);
  }

  /** Every Secret the cache shows controlled by {@code owner}. */
  List<Secret> controlledBy(LambdaInvocation owner) {
    return informer.getSecondaryResources(owner).stream()
        .filter(s -> ResultSecret.isControlledBy(s, owner))
        .toList();
  }

  /**
   * The Secret of that name as a call about to start will find it. The cache answers: it holds
   * every Secret labelled as the operator's, so a Secret of another LambdaInvocation shows here. A
   * Secret without the label is not in it and shows as absent: the result's create then fails on it
   * (409), and the result is discarded as a conflict, never written over it. Only when the last
   * attempt ended in that conflict does this ask the API, so that a name still taken costs a read,
   * not another call.
   */
  Optional<Secret> beforeCall(LambdaInvocation resource, String name) {
    String namespace = resource.getMetadata().getNamespace();
    var status = resource.getStatus();
    if (status != null && status.hasReason(ReadyReason.SecretConflict.name())) {
      return writer.get(namespace, name);
    }
    return informer.get(new ResourceID(name, namespace));
  }

  private static Optional<Secret> named(Set<Secret> secrets, String name) {
    return secrets.stream().filter(s -> name.equals(s.getMetadata().getName())).findFirst();
  }
}
