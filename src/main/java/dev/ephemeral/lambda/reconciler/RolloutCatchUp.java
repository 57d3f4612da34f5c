package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import dev.ephemeral.lambda.secret.ResultSecret;
import dev.ephemeral.lambda.model.InvocationPlan;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts the rollout restart targets for the Secret's data if the status does not record that
 * they were: the operator stopped between writing the Secret and restarting them. No invocation.
 */
final class RolloutCatchUp {

  private static final Logger LOG = LoggerFactory.getLogger(RolloutCatchUp.class);

  private final ResultSecrets secrets;
  private final RolloutRestarter restarter;

  RolloutCatchUp(ResultSecrets secrets, RolloutRestarter restarter) {
    this.secrets = secrets;
    this.restarter = restarter;
  }

  Outcome finish(LambdaInvocation resource, InvocationPlan plan) {
    LambdaInvocationStatus status = resource.getStatus();
    if (status == null || plan.rolloutRestartTargets().isEmpty()) {
      return Outcome.NONE;
    }
    var secret = secrets.intact(resource, plan.secretName());
    if (secret.isEmpty()) {
      return Outcome.NONE;
    }
    String dataHash = ResultSecret.dataHashOf(secret.get());
    if (Objects.equals(dataHash, status.getRolloutRestartedFor())) {
      return Outcome.NONE;
    }
    LOG.atInfo()
        .addKeyValue(NAMESPACE, resource.getMetadata().getNamespace())
        .addKeyValue(NAME, resource.getMetadata().getName())
        .addKeyValue(SECRET, plan.secretName())
        .log("The rollout restart targets were not restarted for the Secret's data; restarting");
    restarter.restart(resource, plan.rolloutRestartTargets(), plan.secretName());
    return Outcome.status((r, current, now) -> StatusFactory.rolloutRestarted(current, dataHash));
  }
}
