package dev.ephemeral.lambda.reconciler;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/** {@link ResourceMemory} of every resource this process has reconciled, by uid. */
final class InvocationMemory {

  private final Map<String, ResourceMemory> byUid = new ConcurrentHashMap<>();

  Optional<ResourceMemory> get(String uid) {
    return Optional.ofNullable(byUid.get(uid));
  }

  void update(String uid, UnaryOperator<ResourceMemory> change) {
    byUid.compute(uid, (k, old) -> change.apply(old == null ? ResourceMemory.FRESH : old));
  }

  /** Forgets resources that no longer exist. */
  void retainOnly(Set<String> liveUids) {
    byUid.keySet().retainAll(liveUids);
  }
}
