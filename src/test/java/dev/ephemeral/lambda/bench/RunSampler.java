package dev.ephemeral.lambda.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * Samples the process every few milliseconds during a run: used heap, CPU time, and (for the
 * operator) its invocation queue. Used heap includes garbage not yet collected, so its peak also
 * shows how much the run allocates.
 */
final class RunSampler implements AutoCloseable {

  private static final long INTERVAL_MILLIS = 10;

  /** The queue of calls: how many run, how many wait for a free slot. */
  interface Queue {
    Queue NONE = queue(() -> 0, () -> 0);

    int inFlight();

    int waiting();

    static Queue queue(IntSupplier inFlight, IntSupplier waiting) {
      return new Queue() {
        @Override
        public int inFlight() {
          return inFlight.getAsInt();
        }

        @Override
        public int waiting() {
          return waiting.getAsInt();
        }
      };
    }
  }

  /** One sample: process CPU time so far, used heap, and the queue. */
  record Sample(Instant at, long cpuNanos, long heapBytes, int inFlight, int waiting) {}

  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  // Not a CopyOnWriteArrayList: a 10,000-resource run takes 30,000 samples, and copying the list
  // on each would cost the operator's JVM CPU that is then counted as the operator's.
  private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
  private final Thread thread;
  private volatile Queue queue = Queue.NONE;
  private volatile boolean running = true;

  private RunSampler() {
    thread = new Thread(this::sample, "bench-sampler");
    thread.setDaemon(true);
  }

  /** Collects garbage first, so that an earlier run's leftovers do not count. */
  static RunSampler start() {
    System.gc();
    var sampler = new RunSampler();
    sampler.thread.start();
    return sampler;
  }

  /** The used heap after a full collection: what the run still holds. */
  static long retainedBytes() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** This JVM's CPU time so far, all threads (GC and JIT included). */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** From now on, samples this queue too. */
  void watch(Queue queue) {
    this.queue = queue;
  }

  /** Stops sampling; returns what was sampled. */
  List<Sample> stop() {
    close();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    takeSample();
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  private void sample() {
    while (running) {
      takeSample();
      try {
        Thread.sleep(INTERVAL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void takeSample() {
    Queue current = queue;
    samples.add(
        new Sample(
            Instant.now(),
            os.getProcessCpuTime(),
            memory.getHeapMemoryUsage().getUsed(),
            current.inFlight(),
            current.waiting()));
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
