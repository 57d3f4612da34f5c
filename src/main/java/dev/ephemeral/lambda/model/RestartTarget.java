package dev.ephemeral.lambda.model;

import dev.ephemeral.lambda.customresource.RolloutTargetKind;

/**
 * A validated entry of spec.secret.rolloutRestartTargets: a workload in the resource's namespace.
 */
public record RestartTarget(RolloutTargetKind kind, String name) {

  /** As messages and Events name it: {@code Deployment web}. */
  @Override
  public String toString() {
    return kind + " " + name;
  }
}
