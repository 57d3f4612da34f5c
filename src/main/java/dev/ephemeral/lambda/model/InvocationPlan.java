package dev.ephemeral.lambda.model;

import com.fasterxml.jackson.core.JsonPointer;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A LambdaInvocation spec that passed validation, with defaults applied and values parsed: what the
 * reconciler acts on.
 *
 * @param payload the serialized payload, exactly as sent to Lambda: spec.payload, and once {@link
 *     #withInputs resolved}, with the values of spec.payloadFrom merged in
 * @param secretKeys projected Secret keys, in key order
 * @param rolloutRestartTargets workloads to restart when the Secret's data changes, each once, in
 *     the order written
 * @param onDeletePayload the serialized spec.onDelete.payload, sent when the resource is deleted;
 *     empty without spec.onDelete
 * @param secretShape the Secret's type and templated keys
 * @param payloadFrom the values to merge into the payload, in order
 * @param inputsHash the keyed hash of the values read for payloadFrom; null before they are read,
 *     and when there are none
 * @param successCheck the condition a successful call's result must meet to be written
 * @param previousValueRetention how long a replaced data value stays as its key's {@code
 *     .previous}; empty: not kept
 */
public record InvocationPlan(
    String functionName,
    String qualifier,
    String region,
    byte[] payload,
    String clientContext,
    boolean tailLog,
    Duration timeout,
    Optional<Duration> refreshInterval,
    String secretName,
    Optional<Duration> ttl,
    Map<String, JsonPointer> secretKeys,
    Map<String, String> secretLabels,
    Map<String, String> secretAnnotations,
    InvokePolicy invokePolicy,
    List<RestartTarget> rolloutRestartTargets,
    Optional<byte[]> onDeletePayload,
    SecretShape secretShape,
    List<PayloadSource> payloadFrom,
    String inputsHash,
    Optional<SuccessCheck> successCheck,
    Optional<Duration> previousValueRetention) {

  /**
   * How long to wait for a response when spec.timeout is absent: the longest a function can run.
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(15);

  /** Equal when every component is, the two payloads compared by their bytes. */
  @Override
  public boolean equals(Object o) {
    return o instanceof InvocationPlan other && Arrays.deepEquals(components(), other.components());
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(components());
  }

  /**
   * Every component, in order, with the Optional's array taken out of it: a record compares arrays
   * by identity, so two plans made from the same spec would otherwise never be equal.
   */
  private Object[] components() {
    return new Object[] {
      functionName,
      qualifier,
      region,
      payload,
      clientContext,
      tailLog,
      timeout,
      refreshInterval,
      secretName,
      ttl,
      secretKeys,
      secretLabels,
      secretAnnotations,
      invokePolicy,
      rolloutRestartTargets,
      onDeletePayload.orElse(null),
      secretShape,
      payloadFrom,
      inputsHash,
      successCheck,
      previousValueRetention
    };
  }

  /** This plan with the payload that has the values of payloadFrom merged in, and their hash. */
  public InvocationPlan withInputs(byte[] mergedPayload, String hash) {
    return new InvocationPlan(
        functionName,
        qualifier,
        region,
        mergedPayload,
        clientContext,
        tailLog,
        timeout,
        refreshInterval,
        secretName,
        ttl,
        secretKeys,
        secretLabels,
        secretAnnotations,
        invokePolicy,
        rolloutRestartTargets,
        onDeletePayload,
        secretShape,
        payloadFrom,
        hash,
        successCheck,
        previousValueRetention);
  }
}
