package dev.ephemeral.lambda.model;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The slice of the LambdaInvocations one operator instance takes: those labelled with its shard
 * name, or, for the instance without one, those without the label. Its result Secrets carry the
 * same label, so that each instance caches only its own, and each shard elects its own leader.
 *
 * @param name the shard name; empty for the instance that takes the unlabelled resources
 */
public record Shard(Optional<String> name) {

  /** The label that assigns a LambdaInvocation, and its result Secret, to a shard. */
  public static final String LABEL = "lambda.ephemeral.dev/shard";

  /** The instance without a shard name. */
  public static final Shard NONE = new Shard(Optional.empty());

  /**
   * A DNS label: a valid label value, and the Lease name it ends stays a valid object name. Lower
   * case only, so that no two shard names give the same Lease name.
   */
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /**
   * @throws IllegalArgumentException when {@code raw} is not a DNS label
   */
  public static Shard named(String raw) {
    if (!NAME.matcher(raw).matches()) {
      throw new IllegalArgumentException(
          "must be a DNS label: at most 63 lower-case letters, digits and '-', starting and ending"
              + " with a letter or digit");
    }
    return new Shard(Optional.of(raw));
  }

  /** The label selector of this shard's LambdaInvocations and result Secrets. */
  public String selector() {
    return name.map(n -> LABEL + "=" + n).orElse("!" + LABEL);
  }

  /** The labels a result Secret of this shard carries. */
  public Map<String, String> labels() {
    return name.map(n -> Map.of(LABEL, n)).orElse(Map.of());
  }

  /** Whether {@code labels} (a Secret's) say it belongs to this shard. */
  public boolean holds(Map<String, String> labels) {
    return name.equals(Optional.ofNullable(labels == null ? null : labels.get(LABEL)));
  }

  /** The name of this shard's leader Lease: {@code base}, with the shard name appended. */
  public String leaseName(String base) {
    return name.map(n -> base + "-" + n).orElse(base);
  }

  @Override
  public String toString() {
    return name.orElse("");
  }
}
