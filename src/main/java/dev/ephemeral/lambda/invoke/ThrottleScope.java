package dev.ephemeral.lambda.invoke;

/**
 * What Lambda's throttling (HTTP 429 TooManyRequestsException, the function did not run) applies
 * to, from the exception's {@code Reason}: the account's concurrency or request rate in the region,
 * which every function there shares, or one function's own (its reserved concurrency, its rate).
 */
public enum ThrottleScope {
  FUNCTION,
  REGION;

  /**
   * The scope of a throttle's {@code Reason}. The account-wide reasons throttle every function of
   * the region; any other reason, or none, is taken as the function's own, so one function's
   * limit never slows the others.
   */
  public static ThrottleScope of(String reason) {
    if ("ConcurrentInvocationLimitExceeded".equals(reason)
        || "CallerRateLimitExceeded".equals(reason)) {
      return REGION;
    }
    return FUNCTION;
  }
}
