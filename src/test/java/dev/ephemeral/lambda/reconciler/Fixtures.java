package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.SecretShape;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Resources for the reconciler's unit tests. */
final class Fixtures {

  private Fixtures() {}

  /**
   * LambdaInvocation shop/api-key at {@code generation}, with the invoke-requested-at value if not
   * null.
   */
  static LambdaInvocation resource(long generation, String invokeRequest) {
    var resource = new LambdaInvocation();
    var metadata =
        new ObjectMetaBuilder()
            .withName("api-key")
            .withNamespace("shop")
            .withUid("0d6c3f0e-1111-2222-3333-444455556666")
            .withGeneration(generation)
            .build();
    if (invokeRequest != null) {
      metadata.setAnnotations(
          Map.of(LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION, invokeRequest));
    }
    resource.setMetadata(metadata);
    var spec = new LambdaInvocationSpec();
    spec.setFunctionName("secret-generator");
    resource.setSpec(spec);
    return resource;
  }

  /** A plan for secret-generator with payload {} and Secret api-key. */
  static InvocationPlan plan(Optional<Duration> refresh, Optional<Duration> ttl, boolean tailLog) {
    return plan(refresh, ttl, tailLog, InvokePolicy.EveryReconcile);
  }

  /** The same plan, with {@code invokePolicy}. */
  static InvocationPlan plan(
      Optional<Duration> refresh, Optional<Duration> ttl, boolean tailLog, InvokePolicy policy) {
    return new InvocationPlan(
        "secret-generator",
        null,
        null,
        "{}".getBytes(StandardCharsets.UTF_8),
        null,
        tailLog,
        InvocationPlan.DEFAULT_TIMEOUT,
        refresh,
        "api-key",
        ttl,
        Map.of(),
        Map.of(),
        Map.of(),
        policy,
        List.of(),
        Optional.empty(),
        SecretShape.OPAQUE,
        List.of(),
        null,
        Optional.empty(),
        Optional.empty());
  }
}
