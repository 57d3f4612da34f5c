package dev.ephemeral.lambda.policy;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The conflicts the last checks found: which LambdaInvocations two or more policies allow equally
 * specifically with different roles. Kept in memory; every LambdaInvocation is checked again after
 * an operator start and after any policy change, so this fills again as those checks run.
 */
public final class PolicyConflicts {

  /** One LambdaInvocation the tied policies both allow. */
  public record Conflict(List<String> policies, String message) {}

  private final Map<ResourceID, Conflict> byResource = new ConcurrentHashMap<>();
  private volatile Consumer<String> onChange = policy -> {};

  /** {@code listener} hears the name of each policy whose conflicts changed. */
  public void onChange(Consumer<String> listener) {
    this.onChange = listener;
  }

  /** Records what the check of {@code resource} found. */
  void record(ResourceID resource, Permit permit) {
    Conflict next =
        permit instanceof Permit.Denied denied && !denied.conflicting().isEmpty()
            ? new Conflict(denied.conflicting(), denied.message())
            : null;
    Conflict previous = next == null ? byResource.remove(resource) : byResource.put(resource, next);
    if (java.util.Objects.equals(previous, next)) {
      return;
    }
    Set<String> changed = new HashSet<>();
    if (previous != null) {
      changed.addAll(previous.policies());
    }
    if (next != null) {
      changed.addAll(next.policies());
    }
    changed.forEach(onChange);
  }

  /** The LambdaInvocation is gone: its conflict, if any, is no longer one. */
  void forget(ResourceID resource) {
    Conflict previous = byResource.remove(resource);
    if (previous != null) {
      previous.policies().forEach(onChange);
    }
  }

  /**
   * The conflicts that involve {@code policy}, by LambdaInvocation ("namespace/name"), among the
   * LambdaInvocations that still exist.
   */
  public Map<String, Conflict> of(String policy, Predicate<ResourceID> exists) {
    Map<String, Conflict> found = new TreeMap<>();
    byResource.forEach(
        (id, conflict) -> {
          if (conflict.policies().contains(policy) && exists.test(id)) {
            found.put(id.getNamespace().orElse("") + "/" + id.getName(), conflict);
          }
        });
    return found;
  }
}
