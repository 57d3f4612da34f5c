package dev.ephemeral.lambda.secret;

import static dev.ephemeral.lambda.secret.SecretLayout.*;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult.Succeeded;
import dev.ephemeral.lambda.validation.InvocationPlan;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Builds the Secret that holds an invocation's result: a pure function of its inputs. */
public final class ResultSecret {

  /** The outcome of building: a Secret to write, or why nothing may be written. */
  public sealed interface Build permits Built, Rejected {}

  public record Built(Secret secret, String dataHash) implements Build {}

  /** {@code message} is safe to show: it names keys and sizes, never values. */
  public record Rejected(ReadyReason reason, String message) implements Build {}

  private final ObjectMapper mapper;

  public ResultSecret(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  public Build build(
      LambdaInvocation owner, InvocationPlan plan, Succeeded result, Instant invokedAt) {
    var raw = new TreeMap<String, byte[]>();
    raw.put(RESULT_KEY, result.payload());
    if (plan.tailLog() && result.logResult() != null) {
      raw.put(LOG_RESULT_KEY, result.logResult().getBytes(StandardCharsets.US_ASCII));
    }
    if (!plan.secretKeys().isEmpty()) {
      JsonNode json;
      try {
        // Trailing text after a JSON value makes the result not JSON (Jackson ignores it by
        // default).
        json =
            mapper
                .reader()
                .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .readTree(result.payload());
      } catch (IOException e) {
        json = null;
      }
      if (json == null || json.isMissingNode()) {
        return new Rejected(
            ReadyReason.ResultKeyMissing,
            "spec.secret.keys needs a JSON result, but the function's result is not JSON;"
                + " nothing was written");
      }
      for (Map.Entry<String, JsonPointer> key : plan.secretKeys().entrySet()) {
        JsonNode value = json.at(key.getValue());
        if (value.isMissingNode()) {
          return new Rejected(
              ReadyReason.ResultKeyMissing,
              "spec.secret.keys."
                  + key.getKey()
                  + ": JSON Pointer '"
                  + key.getValue()
                  + "' matches nothing in the result; nothing was written");
        }
        String text = value.isTextual() ? value.textValue() : value.toString();
        raw.put(key.getKey(), text.getBytes(StandardCharsets.UTF_8));
      }
    }

    long size = 0;
    var data = new LinkedHashMap<String, String>();
    for (var entry : raw.entrySet()) {
      size += entry.getKey().length() + entry.getValue().length;
      data.put(entry.getKey(), Base64.getEncoder().encodeToString(entry.getValue()));
    }
    if (size > MAX_SECRET_BYTES) {
      return new Rejected(
          ReadyReason.ResultTooLarge,
          "the Secret's data would be "
              + size
              + " bytes; a Secret holds at most "
              + MAX_SECRET_BYTES
              + "; nothing was written");
    }

    String hash = DataHash.of(data);
    var labels = new TreeMap<>(plan.secretLabels());
    labels.put(MANAGED_BY_LABEL, MANAGED_BY_VALUE);
    labels.put(INVOCATION_LABEL, owner.getMetadata().getName());
    var annotations = new TreeMap<>(plan.secretAnnotations());
    annotations.put(INVOKED_AT_ANNOTATION, invokedAt.toString());
    plan.ttl()
        .ifPresent(ttl -> annotations.put(EXPIRES_AT_ANNOTATION, invokedAt.plus(ttl).toString()));
    annotations.put(DATA_HASH_ANNOTATION, hash);

    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(plan.secretName())
            .withNamespace(owner.getMetadata().getNamespace())
            .withLabels(labels)
            .withAnnotations(annotations)
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion(owner.getApiVersion())
                    .withKind(owner.getKind())
                    .withName(owner.getMetadata().getName())
                    .withUid(owner.getMetadata().getUid())
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                    .build())
            .endMetadata()
            .withType("Opaque")
            .withData(data)
            .build();
    return new Built(secret, hash);
  }

  /** Whether {@code secret} is controlled by {@code owner} (its controller ownerReference). */
  public static boolean isControlledBy(Secret secret, LambdaInvocation owner) {
    var refs = secret.getMetadata().getOwnerReferences();
    return refs != null
        && refs.stream()
            .anyMatch(
                ref ->
                    Boolean.TRUE.equals(ref.getController())
                        && owner.getMetadata().getUid().equals(ref.getUid()));
  }

  /** Whether the data is still what the operator wrote (the hash annotation matches). */
  public static boolean isIntact(Secret secret) {
    var annotations = secret.getMetadata().getAnnotations();
    String recorded = annotations == null ? null : annotations.get(DATA_HASH_ANNOTATION);
    return recorded != null && recorded.equals(DataHash.of(secret.getData()));
  }
}
