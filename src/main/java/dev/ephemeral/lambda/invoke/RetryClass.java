package dev.ephemeral.lambda.invoke;

/** How a failed invocation is retried (docs/status.md, "Ready reasons, retries, and what to do"). */
public enum RetryClass {
  /** Bounded exponential backoff; each retry is a counted invocation. */
  BACKOFF,
  /**
   * Lambda throttled the call and the function did not run: retried until it runs, honouring
   * Retry-After, with a backoff that grows with the throttles in a row. Not a failed invocation,
   * so it uses up no retry; past the retry count in a row it is reported as Stalled while it goes
   * on. The in-flight limits (ConcurrencyLimits) set the pace while Lambda keeps throttling.
   */
  THROTTLED,
  /** Every few minutes, and at once on any trigger: the fix lies outside the resource. */
  SLOW,
  /**
   * Not retried; the next trigger invokes again (the function ran, a rerun repeats its effects).
   */
  ON_TRIGGER,
  /**
   * Not retried until the spec changes (or the user asks explicitly): the request itself is bad.
   */
  ON_SPEC_CHANGE
}
