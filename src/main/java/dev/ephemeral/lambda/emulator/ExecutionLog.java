package dev.ephemeral.lambda.emulator;

import java.time.Duration;
import java.util.Locale;

/**
 * The execution log Lambda writes for one invocation, and returns the tail of with {@code Tail}: a
 * START line, the function's own lines, an END line and a REPORT line, all with the request id.
 */
final class ExecutionLog {

  static final int MEMORY_SIZE_MB = 128;
  static final int MAX_MEMORY_USED_MB = 64;

  private static final String START = "START RequestId: ";

  private ExecutionLog() {}

  /**
   * The log of one call. A function that writes the whole log itself, from its START line, gets it
   * back as written: that lets a test pin every byte of {@code log_result}.
   *
   * @param functionLines what the function wrote, null or empty if nothing
   * @param duration how long the function ran; Lambda bills it rounded up to the millisecond
   */
  static String of(
      String requestId, String executedVersion, String functionLines, Duration duration) {
    if (functionLines != null && functionLines.startsWith(START)) {
      return functionLines;
    }
    StringBuilder log =
        new StringBuilder()
            .append(START)
            .append(requestId)
            .append(" Version: ")
            .append(executedVersion)
            .append('\n');
    if (functionLines != null && !functionLines.isEmpty()) {
      log.append(functionLines);
      if (!functionLines.endsWith("\n")) {
        log.append('\n');
      }
    }
    double millis = duration.toNanos() / 1_000_000.0;
    long billed = Math.max(1, (long) Math.ceil(millis));
    return log.append("END RequestId: ")
        .append(requestId)
        .append('\n')
        .append("REPORT RequestId: ")
        .append(requestId)
        .append(String.format(Locale.ROOT, "\tDuration: %.2f ms", millis))
        .append("\tBilled Duration: ")
        .append(billed)
        .append(" ms\tMemory Size: ")
        .append(MEMORY_SIZE_MB)
        .append(" MB\tMax Memory Used: ")
        .append(MAX_MEMORY_USED_MB)
        .append(" MB\t\n")
        .toString();
  }
}
