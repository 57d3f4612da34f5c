package dev.ephemeral.lambda.secret;

import static dev.ephemeral.lambda.customresource.SpecRules.PREVIOUS_KEY_SUFFIX;
import static dev.ephemeral.lambda.secret.SecretLayout.*;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Rotation with overlap (spec.secret.previousValueRetention): when a new result replaces the
 * Secret's data, each replaced key {@code k} stays as {@code k.previous} until the time in the
 * annotation {@value SecretLayout#PREVIOUS_EXPIRES_AT_ANNOTATION}. The keys a Secret type requires
 * keep the new values; the {@code .previous} keys are extra keys, which every type allows. Pure:
 * the caller writes the Secrets built here.
 */
final class PreviousValues {

  private PreviousValues() {}

  /** When {@code secret}'s previous values go; empty when it holds none. */
  static Optional<Instant> expiresAt(Secret secret) {
    var annotations = secret.getMetadata().getAnnotations();
    String at = annotations == null ? null : annotations.get(PREVIOUS_EXPIRES_AT_ANNOTATION);
    if (at == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(at));
    } catch (DateTimeParseException e) {
      // Unreadable: the values go at once.
      return Optional.of(Instant.EPOCH);
    }
  }

  /** {@code secret}'s data without its previous values: what the last result wrote. */
  static Map<String, String> currentData(Secret secret) {
    var data = secret.getData() == null ? Map.<String, String>of() : secret.getData();
    if (expiresAt(secret).isEmpty()) {
      return data;
    }
    var current = new TreeMap<String, String>(data);
    current.keySet().removeIf(key -> key.endsWith(PREVIOUS_KEY_SUFFIX));
    return current;
  }

  /**
   * {@code desired}'s data and annotations with the previous values it should hold, given the
   * Secret it replaces: on a rotation (the data changed), the replaced data, kept until {@code
   * retention} from {@code now}; on a refresh with the same data, the previous values {@code
   * existing} still holds, until their time is up. Nothing is kept when the two would not fit in
   * one Secret.
   *
   * @param existing the Secret replaced, as the operator wrote it (controlled, intact)
   * @return the data and the annotation to write; the data-hash is the caller's
   */
  static Secret keep(Secret desired, Secret existing, Instant now, Duration retention) {
    Map<String, String> newData = desired.getData();
    Map<String, String> oldData = currentData(existing);
    Map<String, String> previous = new TreeMap<>();
    Optional<Instant> expiry;
    if (!Objects.equals(new TreeMap<>(newData), new TreeMap<>(oldData))) {
      oldData.forEach((key, value) -> previous.put(key + PREVIOUS_KEY_SUFFIX, value));
      expiry = Optional.of(now.plus(retention).truncatedTo(ChronoUnit.SECONDS));
    } else {
      expiry = expiresAt(existing).filter(now::isBefore);
      if (expiry.isPresent()) {
        existing.getData().entrySet().stream()
            .filter(e -> e.getKey().endsWith(PREVIOUS_KEY_SUFFIX))
            .forEach(e -> previous.put(e.getKey(), e.getValue()));
      }
    }
    if (previous.isEmpty() || sizeOf(newData) + sizeOf(previous) > MAX_SECRET_BYTES) {
      return desired;
    }
    var data = new LinkedHashMap<>(newData);
    data.putAll(previous);
    var annotations = new TreeMap<>(desired.getMetadata().getAnnotations());
    annotations.put(PREVIOUS_EXPIRES_AT_ANNOTATION, expiry.orElseThrow().toString());
    return new SecretBuilder(desired)
        .withData(data)
        .editMetadata()
        .withAnnotations(annotations)
        .endMetadata()
        .build();
  }

  /**
   * {@code secret} without its previous values and their annotation; the data-hash is the
   * caller's.
   */
  static Secret dropped(Secret secret) {
    var annotations = new TreeMap<>(secret.getMetadata().getAnnotations());
    annotations.remove(PREVIOUS_EXPIRES_AT_ANNOTATION);
    return new SecretBuilder(secret)
        .withData(new LinkedHashMap<>(currentData(secret)))
        .editMetadata()
        .withAnnotations(annotations)
        .endMetadata()
        .build();
  }

  /** The bytes the data takes decoded: its keys and values. */
  private static long sizeOf(Map<String, String> data) {
    long size = 0;
    for (var entry : data.entrySet()) {
      size += entry.getKey().length() + Base64.getDecoder().decode(entry.getValue()).length;
    }
    return size;
  }
}
