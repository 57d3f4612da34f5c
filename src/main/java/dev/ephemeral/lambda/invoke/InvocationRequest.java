package dev.ephemeral.lambda.invoke;

import java.time.Duration;
import java.util.Optional;

/**
 * One synchronous (RequestResponse) invocation.
 *
 * @param role the role to assume for the call; empty means the operator's own credentials
 */
public record InvocationRequest(
    String functionName,
    String qualifier,
    String region,
    byte[] payload,
    String clientContext,
    boolean tailLog,
    Duration timeout,
    Optional<AssumedRole> role) {

  /** A call with the operator's own credentials. */
  public InvocationRequest(
      String functionName,
      String qualifier,
      String region,
      byte[] payload,
      String clientContext,
      boolean tailLog,
      Duration timeout) {
    this(
        functionName,
        qualifier,
        region,
        payload,
        clientContext,
        tailLog,
        timeout,
        Optional.empty());
  }

  @Override
  public String toString() {
    return "InvocationRequest[functionName="
        + functionName
        + ", qualifier="
        + qualifier
        + ", region="
        + region
        + ", payloadBytes="
        + payload.length
        + ", tailLog="
        + tailLog
        + ", timeout="
        + timeout
        + ", role="
        + role.map(AssumedRole::roleArn).orElse("(own credentials)")
        + "]";
  }
}
