package dev.ephemeral.lambda.secret;

import static dev.ephemeral.lambda.secret.SecretLayout.*;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult.Succeeded;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.SecretTypes;
import dev.ephemeral.lambda.model.Shard;
import dev.ephemeral.lambda.json.JsonText;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Builds the Secret that holds an invocation's result: a pure function of its inputs. */
public final class ResultSecret {

  /** The outcome of building: a Secret to write, or why nothing may be written. */
  public sealed interface Build permits Built, Rejected {}

  public record Built(Secret secret, String dataHash) implements Build {}

  /** {@code message} is safe to show: it names keys and sizes, never values. */
  public record Rejected(ReadyReason reason, String message) implements Build {}

  private final ObjectMapper mapper;
  private final DataHash dataHash;
  private final Shard shard;

  public ResultSecret(ObjectMapper mapper, DataHash dataHash) {
    this(mapper, dataHash, Shard.NONE);
  }

  /** Result Secrets labelled as {@code shard}'s, so that only its instance caches them. */
  public ResultSecret(ObjectMapper mapper, DataHash dataHash, Shard shard) {
    this.mapper = mapper;
    this.dataHash = dataHash;
    this.shard = shard;
  }

  /** The shard whose instance writes these Secrets: its label selects them. */
  public Shard shard() {
    return shard;
  }

  public Build build(
      LambdaInvocation owner, InvocationPlan plan, Succeeded result, Instant invokedAt) {
    var raw = new TreeMap<String, byte[]>();
    raw.put(RESULT_KEY, result.payload());
    if (plan.tailLog() && result.logResult() != null) {
      raw.put(LOG_RESULT_KEY, result.logResult().getBytes(StandardCharsets.US_ASCII));
    }
    var templates = plan.secretShape().templates();
    if (!plan.secretKeys().isEmpty() || !templates.isEmpty()) {
      JsonNode json;
      try {
        // Numbers as the function wrote them (1e400, 1.10), and trailing text after the JSON
        // value makes the result not JSON.
        json = JsonText.read(result.payload(), false);
      } catch (IOException e) {
        json = null;
      }
      if (json == null) {
        return new Rejected(
            ReadyReason.ResultKeyMissing,
            (plan.secretKeys().isEmpty() ? "spec.secret.template" : "spec.secret.keys")
                + " needs a JSON result, but the function's result is not JSON;"
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
                  + "' matches nothing in the result"
                  + requiredBy(plan, key.getKey())
                  + "; nothing was written");
        }
        String text = value.isTextual() ? value.textValue() : value.toString();
        raw.put(key.getKey(), text.getBytes(StandardCharsets.UTF_8));
      }
      // A result too large for the Secret is not rendered: it could not be written anyway.
      if (!templates.isEmpty() && result.payload().length <= MAX_SECRET_BYTES) {
        var rendering = SecretTemplates.render(templates, result.payload(), mapper);
        if (rendering instanceof SecretTemplates.Failed failed) {
          return new Rejected(
              ReadyReason.ResultKeyMissing,
              failed.message()
                  + (failed.key() == null ? "" : requiredBy(plan, failed.key()))
                  + "; nothing was written");
        }
        raw.putAll(((SecretTemplates.Rendered) rendering).data());
      }
    }
    String type = plan.secretShape().type();
    var typeProblem = SecretTypes.problem(type, raw, mapper);
    if (typeProblem.isPresent() && sizeOf(raw) <= MAX_SECRET_BYTES) {
      return new Rejected(
          ReadyReason.ResultKeyMissing, typeProblem.get() + "; nothing was written");
    }

    long size = sizeOf(raw);
    if (size > MAX_SECRET_BYTES) {
      return new Rejected(
          ReadyReason.ResultTooLarge,
          "the Secret's data would be "
              + size
              + " bytes; a Secret holds at most "
              + MAX_SECRET_BYTES
              + "; nothing was written");
    }
    var data = new LinkedHashMap<String, String>();
    raw.forEach((key, value) -> data.put(key, Base64.getEncoder().encodeToString(value)));

    String hash = dataHash.of(data);
    var labels = new TreeMap<>(plan.secretLabels());
    labels.put(MANAGED_BY_LABEL, MANAGED_BY_VALUE);
    labels.put(INVOCATION_LABEL, owner.getMetadata().getName());
    // Set by the operator whatever spec.secret.labels says: it decides which instance caches it.
    labels.remove(Shard.LABEL);
    labels.putAll(shard.labels());
    var annotations = new TreeMap<>(plan.secretAnnotations());
    annotations.put(INVOKED_AT_ANNOTATION, rfc3339(invokedAt));
    plan.ttl()
        .ifPresent(ttl -> annotations.put(EXPIRES_AT_ANNOTATION, rfc3339(invokedAt.plus(ttl))));
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
            .withType(type)
            .withData(data)
            .build();
    return new Built(secret, hash);
  }

  /** Says that the Secret's type needs {@code key}, when it does. */
  private static String requiredBy(InvocationPlan plan, String key) {
    String type = plan.secretShape().type();
    return SecretTypes.requires(type, key)
        ? " (a Secret of type " + type + " needs the key " + key + ")"
        : "";
  }

  /** The bytes a Secret's data takes: its keys and values. */
  private static long sizeOf(Map<String, byte[]> raw) {
    long size = 0;
    for (var entry : raw.entrySet()) {
      size += entry.getKey().length() + entry.getValue().length;
    }
    return size;
  }

  /** RFC 3339 to the second, as the status shows the same times. */
  private static String rfc3339(Instant instant) {
    return instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
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

  /**
   * Whether {@code secret} is a result Secret of an earlier LambdaInvocation of the same name that
   * was deleted (and recreated, as {@code kubectl replace} or Argo CD do) before garbage collection
   * removed it: the operator takes it over instead of reporting a conflict.
   *
   * <p>Anyone who may create Secrets in the namespace can stage one that passes this check, so a
   * takeover keeps nothing of the Secret it replaces (see {@link #keepingForeignMetadata}). A
   * Secret that no update could turn into this result Secret, because its type is not the one the
   * spec asks for (a Secret's type never changes) or it is immutable, is not taken over.
   */
  public static boolean isLeftByPredecessor(Secret secret, LambdaInvocation owner) {
    var labels = secret.getMetadata().getLabels();
    var refs = secret.getMetadata().getOwnerReferences();
    String name = owner.getMetadata().getName();
    return labels != null
        && MANAGED_BY_VALUE.equals(labels.get(MANAGED_BY_LABEL))
        && name.equals(labels.get(INVOCATION_LABEL))
        && SecretTypes.typeOf(secret).equals(plannedType(owner))
        && !Boolean.TRUE.equals(secret.getImmutable())
        && refs != null
        && refs.stream()
            .filter(ref -> Boolean.TRUE.equals(ref.getController()))
            .anyMatch(
                ref ->
                    owner.getKind().equals(ref.getKind())
                        && name.equals(ref.getName())
                        && !owner.getMetadata().getUid().equals(ref.getUid()));
  }

  /** The type the owner's spec asks for; the validator has checked it. */
  private static String plannedType(LambdaInvocation owner) {
    var spec = owner.getSpec();
    String type = spec == null || spec.getSecret() == null ? null : spec.getSecret().getType();
    return type == null ? SecretTypes.OPAQUE : type;
  }

  /** Whether the operator may write {@code secret} for {@code owner}. */
  public static boolean isOwnedOrLeftFor(Secret secret, LambdaInvocation owner) {
    return isControlledBy(secret, owner) || isLeftByPredecessor(secret, owner);
  }

  /**
   * {@code desired} ready to replace {@code existing}. When {@code existing} is controlled by the
   * same LambdaInvocation as {@code desired} (a rewrite), what others added to it is kept: their
   * labels, annotations, finalizers and non-controller ownerReferences, with the operator's own
   * keys winning. Otherwise (a takeover) nothing of {@code existing} is kept: the Secret is exactly
   * {@code desired}.
   */
  public static Secret keepingForeignMetadata(Secret desired, Secret existing) {
    Optional<String> owner = controllerUid(desired);
    if (owner.isEmpty() || !owner.equals(controllerUid(existing))) {
      return desired;
    }
    var meta = desired.getMetadata();
    var old = existing.getMetadata();
    var labels = new TreeMap<String, String>(old.getLabels() == null ? Map.of() : old.getLabels());
    // The shard label is the writer's alone: a Secret taken over by another shard drops the old one.
    labels.remove(Shard.LABEL);
    labels.putAll(meta.getLabels());
    meta.setLabels(labels);
    var annotations =
        new TreeMap<String, String>(old.getAnnotations() == null ? Map.of() : old.getAnnotations());
    annotations.keySet().removeIf(key -> key.startsWith("lambda.ephemeral.dev/"));
    annotations.putAll(meta.getAnnotations());
    meta.setAnnotations(annotations);
    meta.setFinalizers(old.getFinalizers());
    var refs = new java.util.ArrayList<>(meta.getOwnerReferences());
    if (old.getOwnerReferences() != null) {
      old.getOwnerReferences().stream()
          .filter(ref -> !Boolean.TRUE.equals(ref.getController()))
          .forEach(refs::add);
    }
    meta.setOwnerReferences(refs);
    return desired;
  }

  private static Optional<String> controllerUid(Secret secret) {
    var refs = secret.getMetadata().getOwnerReferences();
    if (refs == null) {
      return Optional.empty();
    }
    return refs.stream()
        .filter(ref -> Boolean.TRUE.equals(ref.getController()) && ref.getUid() != null)
        .map(OwnerReference::getUid)
        .findFirst();
  }

  /**
   * {@code built} with the previous values the spec's previousValueRetention keeps of {@code
   * existing}, the Secret it replaces (see {@link PreviousValues}); {@code built} itself without
   * a retention, or when {@code existing} is not this owner's Secret with data as written.
   */
  public Secret withPreviousValues(
      Secret built,
      Optional<Secret> existing,
      LambdaInvocation owner,
      Instant now,
      Optional<java.time.Duration> retention) {
    if (retention.isEmpty()
        || existing.isEmpty()
        || !isControlledBy(existing.get(), owner)
        || !isIntact(existing.get())) {
      return built;
    }
    return rehashed(PreviousValues.keep(built, existing.get(), now, retention.get()));
  }

  /** {@code secret} without its previous values, with its data-hash recomputed. */
  public Secret withoutPreviousValues(Secret secret) {
    return rehashed(PreviousValues.dropped(secret));
  }

  /** When the previous values {@code secret} holds go; empty when it holds none. */
  public static Optional<Instant> previousValuesExpiry(Secret secret) {
    return PreviousValues.expiresAt(secret);
  }

  /**
   * The data a result wrote to {@code secret}, without the previous values it keeps: a rotation
   * changes it, the drop of the previous values does not.
   */
  public static Map<String, String> currentData(Secret secret) {
    return PreviousValues.currentData(secret);
  }

  private Secret rehashed(Secret secret) {
    secret.getMetadata().getAnnotations().put(DATA_HASH_ANNOTATION, dataHash.of(secret.getData()));
    return secret;
  }

  /** The data-hash annotation of a result Secret; null when it has none. */
  public static String dataHashOf(Secret secret) {
    var annotations = secret.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(DATA_HASH_ANNOTATION);
  }

  /** Whether the data is still what this operator process wrote (the hash annotation matches). */
  public boolean isIntact(Secret secret) {
    var annotations = secret.getMetadata().getAnnotations();
    String recorded = annotations == null ? null : annotations.get(DATA_HASH_ANNOTATION);
    return recorded != null && recorded.equals(dataHash.of(secret.getData()));
  }
}
