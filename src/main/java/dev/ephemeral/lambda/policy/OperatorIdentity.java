package dev.ephemeral.lambda.policy;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.ServiceMetadata;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * Completes the policy settings at start: with Enforce, a plain function name means the operator's
 * own account and default region, so both must be known before any check. The region comes from
 * AWS_REGION or the SDK's region chain; the account from AWS_ACCOUNT_ID, or else STS
 * GetCallerIdentity (which every AWS identity may call) with the operator's credentials.
 */
public final class OperatorIdentity {

  private OperatorIdentity() {}

  /**
   * @throws IllegalStateException naming what is missing and how to set it
   */
  public static PolicySettings complete(
      PolicySettings settings, AwsCredentialsProvider credentials, Optional<URI> stsEndpoint) {
    if (!settings.enforced()) {
      return settings;
    }
    PolicySettings completed = settings;
    if (completed.defaultRegion().isEmpty()) {
      try {
        completed =
            completed.withDefaultRegion(new DefaultAwsRegionProviderChain().getRegion().id());
      } catch (SdkException e) {
        throw new IllegalStateException(
            "POLICY_MODE=Enforce needs the operator's default region: set AWS_REGION");
      }
    }
    if (completed.accountId().isEmpty()) {
      Region region = Region.of(completed.defaultRegion().get());
      var builder =
          StsClient.builder()
              .region(region)
              .credentialsProvider(credentials);
      stsEndpoint.ifPresent(builder::endpointOverride);
      try (StsClient sts = builder.build()) {
        completed = completed.withAccountId(sts.getCallerIdentity().account());
      } catch (SdkException e) {
        String host =
            stsEndpoint
                .map(uri -> uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()))
                .orElseGet(() -> ServiceMetadata.of("sts").endpointFor(region).toString());
        String error =
            e instanceof AwsServiceException aws && aws.awsErrorDetails() != null
                ? aws.awsErrorDetails().errorCode()
                : e.getClass().getSimpleName();
        throw new IllegalStateException(
            "POLICY_MODE=Enforce needs the operator's AWS account, and STS GetCallerIdentity at "
                + host
                + " failed ("
                + error
                + "): set AWS_ACCOUNT_ID");
      }
    }
    return completed;
  }
}
