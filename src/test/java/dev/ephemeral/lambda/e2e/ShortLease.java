package dev.ephemeral.lambda.e2e;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import java.time.Duration;

/**
 * Leader election with a Lease short enough for a test to watch it change hands: renewed within
 * three quarters of its duration, retried every 250 ms, and a lost Lease stops the operator
 * instead of exiting the test JVM.
 */
final class ShortLease {

  private ShortLease() {}

  static LeaderElectionConfiguration of(
      String leaseName, String namespace, String identity, Duration duration) {
    return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(leaseName)
        .withLeaseNamespace(namespace)
        .withIdentity(identity)
        .withLeaseDuration(duration)
        .withRenewDeadline(duration.multipliedBy(3).dividedBy(4))
        .withRetryPeriod(Duration.ofMillis(250))
        .withExitOnStopLeading(false)
        .build();
  }
}
