package dev.ephemeral.lambda.invoke;

import java.time.Duration;

/** One synchronous (RequestResponse) invocation. */
public record InvocationRequest(
    String functionName,
    String qualifier,
    String region,
    byte[] payload,
    String clientContext,
    boolean tailLog,
    Duration timeout) {

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
        + "]";
  }
}
