package dev.ephemeral.lambda.policy;

import java.util.Optional;

/**
 * How policies are enforced.
 *
 * @param accountId the operator's own AWS account, where a plain function name is looked up; with
 *     Enforce it must be known before the operator starts (AWS_ACCOUNT_ID, or STS GetCallerIdentity
 *     at start)
 * @param defaultRegion the operator's default region; with Enforce it must be known too
 */
public record PolicySettings(
    PolicyMode mode, Optional<String> accountId, Optional<String> defaultRegion) {

  public static final PolicySettings OFF =
      new PolicySettings(PolicyMode.Off, Optional.empty(), Optional.empty());

  public static PolicySettings enforce(String accountId, String defaultRegion) {
    return new PolicySettings(
        PolicyMode.Enforce, Optional.of(accountId), Optional.of(defaultRegion));
  }

  public boolean enforced() {
    return mode == PolicyMode.Enforce;
  }

  public PolicySettings withAccountId(String accountId) {
    return new PolicySettings(mode, Optional.of(accountId), defaultRegion);
  }

  public PolicySettings withDefaultRegion(String region) {
    return new PolicySettings(mode, accountId, Optional.of(region));
  }
}
