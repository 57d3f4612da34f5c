package dev.ephemeral.lambda.invoke;

/** How a failed invocation is retried (docs/status.md, "Ready reasons, retries, and what to do"). */
public enum RetryClass {
  /** Bounded exponential backoff; each retry is a counted invocation. */
  BACKOFF,
  /**
   * Lambda throttled the call and the function did not run: retried with backoff, honouring
   * Retry-After, until it runs. Not a failed invocation, so it uses up no retry; the in-flight
   * limits (ConcurrencyLimits) set the pace while Lambda keeps throttling.
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
