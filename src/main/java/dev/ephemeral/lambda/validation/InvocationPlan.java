package dev.ephemeral.lambda.validation;

import com.fasterxml.jackson.core.JsonPointer;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.secret.SecretShape;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A LambdaInvocation spec that passed validation, with defaults applied and values parsed: what the
 * reconciler acts on.
 *
 * @param payload the serialized payload, exactly as sent to Lambda
 * @param secretKeys projected Secret keys, in key order
 * @param rolloutRestartTargets workloads to restart when the Secret's data changes, each once, in
 *     the order written
 * @param onDeletePayload the serialized spec.onDelete.payload, sent when the resource is deleted;
 *     empty without spec.onDelete
 * @param secretShape the Secret's type and templated keys
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
    SecretShape secretShape) {

  /**
   * How long to wait for a response when spec.timeout is absent: the longest a function can run.
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(15);
}
