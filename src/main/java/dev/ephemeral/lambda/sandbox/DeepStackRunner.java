package dev.ephemeral.lambda.sandbox;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the sandbox on a thread of its own with a deep stack: Jackson's serializers recurse once per
 * nesting level, and a manifest may nest as deep as an API server accepts (10,000 levels).
 */
final class DeepStackRunner {

  private static final long STACK_BYTES = 256L * 1024 * 1024;

  private DeepStackRunner() {}

  /** Runs the task on a new thread, waits for it, and returns what it returned or throws. */
  @SuppressWarnings("unchecked")
  static <T> T call(String threadName, Callable<T> task) throws Exception {
    var outcome = new AtomicReference<Object>();
    Thread worker =
        new Thread(
            null,
            () -> {
              try {
                outcome.set(task.call());
              } catch (Exception | Error e) {
                outcome.set(e);
              }
            },
            threadName,
            STACK_BYTES);
    worker.start();
    try {
      worker.join();
    } catch (InterruptedException e) {
      worker.interrupt();
      throw e;
    }
    if (outcome.get() instanceof Exception e) {
      throw e;
    }
    if (outcome.get() instanceof Error e) {
      throw e;
    }
    return (T) outcome.get();
  }
}
