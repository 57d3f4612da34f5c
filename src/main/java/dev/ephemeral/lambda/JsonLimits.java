package dev.ephemeral.lambda;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import dev.ephemeral.lambda.json.JsonText;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How deep the JSON is that the operator reads and writes: as deep as the Kubernetes API server
 * accepts. Jackson refuses more than 1,000 levels by default, and one LambdaInvocation whose
 * payload nests deeper would make the whole list of LambdaInvocations unreadable, so the operator
 * would not start at all. Writing such a payload recurses once per level, which needs a deeper
 * thread stack than the JVM's default. Numbers may be as long as {@link JsonText} reads them
 * (Jackson refuses more than 1,000 characters by default, with the same effect).
 */
public final class JsonLimits {

  /** The deepest nesting the API server decodes (Go's encoding/json, which it uses, stops here). */
  public static final int API_SERVER_MAX_DEPTH = 10_000;

  /** Room for the levels around a payload: a list, its items, the object, spec. */
  private static final int MAX_DEPTH = API_SERVER_MAX_DEPTH + 16;

  /** Enough stack to write (serialize, clone) a payload of {@link #API_SERVER_MAX_DEPTH} levels. */
  public static final long THREAD_STACK_BYTES = 32L * 1024 * 1024;

  private JsonLimits() {}

  /**
   * Raises Jackson's process-wide limits for every parser and generator created from now on. Call
   * it before any Kubernetes client or mapper is built (their limits are fixed when they are).
   */
  public static void raiseDefaults() {
    StreamReadConstraints.overrideDefaultStreamReadConstraints(
        StreamReadConstraints.builder()
            .maxNestingDepth(MAX_DEPTH)
            .maxNumberLength(JsonText.MAX_NUMBER_LENGTH)
            .build());
    StreamWriteConstraints.overrideDefaultStreamWriteConstraints(
        StreamWriteConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
  }

  /** Threads with a stack deep enough for such payloads, named {@code prefix-N}. */
  public static ThreadFactory deepStackThreads(String prefix) {
    var count = new AtomicInteger();
    return task -> {
      Thread thread =
          new Thread(null, task, prefix + "-" + count.incrementAndGet(), THREAD_STACK_BYTES);
      thread.setDaemon(true);
      return thread;
    };
  }
}
