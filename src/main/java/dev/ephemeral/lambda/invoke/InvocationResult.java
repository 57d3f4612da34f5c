package dev.ephemeral.lambda.invoke;

import dev.ephemeral.lambda.customresource.ReadyReason;
import java.time.Duration;
import java.util.Optional;

/** What an invocation gave: the function's result, or a classified failure. */
public sealed interface InvocationResult {

  /**
   * The function ran and returned normally. {@code payload} and {@code logResult} are sensitive:
   * they go into the Secret and nowhere else, so {@link #toString()} leaves them out.
   *
   * @param executedVersion null when the endpoint did not say
   * @param logResult base64 log tail, null unless Tail was asked for
   */
  record Succeeded(int statusCode, String executedVersion, byte[] payload, String logResult)
      implements InvocationResult {
    @Override
    public String toString() {
      return "Succeeded[statusCode=" + statusCode + ", executedVersion=" + executedVersion + "]";
    }
  }

  /**
   * The invocation failed. {@code message} is safe to show: it never holds result or log data.
   *
   * @param retryAfter how long the service asked us to wait (throttling), if it said
   * @param throttled what Lambda's throttling (429: the function did not run) applied to, when
   *     that is why it failed
   */
  record Failed(
      ReadyReason reason,
      RetryClass retry,
      String message,
      Optional<Duration> retryAfter,
      Optional<ThrottleScope> throttled)
      implements InvocationResult {
    public Failed(ReadyReason reason, RetryClass retry, String message) {
      this(reason, retry, message, Optional.empty(), Optional.empty());
    }

    public Failed(
        ReadyReason reason, RetryClass retry, String message, Optional<Duration> retryAfter) {
      this(reason, retry, message, retryAfter, Optional.empty());
    }
  }
}
