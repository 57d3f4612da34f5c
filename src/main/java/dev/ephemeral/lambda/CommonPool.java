package dev.ephemeral.lambda;

import java.util.Optional;

/**
 * Keeps at least two workers in the JVM's common ForkJoinPool. The JDK's HTTP client, which the
 * Kubernetes client uses, finishes every response on CompletableFuture's default executor, the
 * common pool; with two processors or fewer (a container with a CPU limit of 2 or less) that pool
 * has one worker, and CompletableFuture then starts a new thread for each task: a thread for each
 * response of the API server, two or more per invocation. With two workers the pool is used, and
 * responses are read on its threads.
 */
public final class CommonPool {

  static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
  static final int WORKERS = 2;

  private CommonPool() {}

  /**
   * Sets the common pool's parallelism to two when the JVM would give it fewer and nobody set it.
   * Call it first in {@code main}: the pool reads the setting once, when it is first used.
   */
  public static void keepTwoWorkers() {
    parallelism(Runtime.getRuntime().availableProcessors(), System.getProperty(PARALLELISM))
        .ifPresent(value -> System.setProperty(PARALLELISM, value));
  }

  /**
   * The parallelism to set for {@code processors} when {@code configured} is what the property
   * says (null: unset): empty when the JVM's own choice (processors - 1) is enough, or when it was
   * set explicitly.
   */
  static Optional<String> parallelism(int processors, String configured) {
    if (configured != null || processors - 1 >= WORKERS) {
      return Optional.empty();
    }
    return Optional.of(Integer.toString(WORKERS));
  }
}
