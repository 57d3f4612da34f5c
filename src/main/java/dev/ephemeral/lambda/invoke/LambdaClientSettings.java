package dev.ephemeral.lambda.invoke;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * How Lambda clients are built.
 *
 * @param endpoint an endpoint override (LocalStack, tests); empty means AWS's own endpoints
 * @param defaultRegion the region for resources without spec.region; empty means the SDK's chain
 * @param credentials where credentials come from (the SDK's default chain in production)
 * @param maxInFlight the most invocations in flight at once, across all resources
 * @param stsEndpoint an endpoint override for STS, where policies' roles are assumed (tests); empty
 *     means the SDK's own
 */
public record LambdaClientSettings(
    Optional<URI> endpoint,
    Optional<Region> defaultRegion,
    AwsCredentialsProvider credentials,
    int maxInFlight,
    Optional<URI> stsEndpoint) {

  public LambdaClientSettings(
      Optional<URI> endpoint,
      Optional<Region> defaultRegion,
      AwsCredentialsProvider credentials,
      int maxInFlight) {
    this(endpoint, defaultRegion, credentials, maxInFlight, Optional.empty());
  }
}
