package dev.ephemeral.lambda.bench;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which operator instance invoked what, when the resources are spread over shards: each instance
 * counts the calls that returned a result, and any made for a resource labelled with another shard.
 */
final class ShardTally {

  private final int shards;
  private final Map<String, AtomicInteger> invokedByShard = new ConcurrentHashMap<>();
  private final AtomicInteger ofAnotherShard = new AtomicInteger();

  ShardTally(int shards) {
    this.shards = shards;
  }

  /** How many shards the resources were spread over. */
  int shardCount() {
    return shards;
  }

  /**
   * The instance of {@code instanceShard} invoked a resource labelled {@code resourceShard} (empty
   * when it carries no shard label).
   */
  void invoked(String instanceShard, Optional<String> resourceShard) {
    invokedByShard.computeIfAbsent(instanceShard, s -> new AtomicInteger()).incrementAndGet();
    if (!resourceShard.equals(Optional.of(instanceShard))) {
      ofAnotherShard.incrementAndGet();
    }
  }

  /** Calls that returned a result, by the shard of the instance that made them. */
  Map<String, Integer> invokedByShard() {
    Map<String, Integer> counts = new TreeMap<>();
    invokedByShard.forEach((shard, count) -> counts.put(shard, count.get()));
    return counts;
  }

  /** Calls an instance made for a resource of another shard (or of none): there should be none. */
  int ofAnotherShard() {
    return ofAnotherShard.get();
  }

  /** How many of {@code resources} resources, labelled round-robin, each of {@code shards} has. */
  static Map<String, Integer> resourcesByShard(int resources, int shards) {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < resources; i++) {
      counts.merge(shardOf(i, shards), 1, Integer::sum);
    }
    return counts;
  }

  /** The shard of resource number {@code index}: s0 .. s(shards-1), round-robin. */
  static String shardOf(int index, int shards) {
    return "s" + index % shards;
  }
}
