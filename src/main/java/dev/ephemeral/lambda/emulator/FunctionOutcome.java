package dev.ephemeral.lambda.emulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Duration;
import java.util.Objects;

/**
 * How an emulated invocation answers: a result, a function error, an API error, or one of those
 * after a delay.
 */
public sealed interface FunctionOutcome {

  /**
   * HTTP 200 with the payload. {@code logText} is what the function logged (null for nothing); with
   * {@code Tail} the caller gets it between Lambda's START and END lines, or as written if it is a
   * whole log already (it begins with {@code START RequestId: }).
   */
  record Result(byte[] payload, String logText) implements FunctionOutcome {
    public Result {
      Objects.requireNonNull(payload, "payload");
    }
  }

  /**
   * HTTP 200 with {@code X-Amz-Function-Error} and Lambda's error document as the payload; {@code
   * logText} as for {@link Result}.
   */
  record FunctionError(String kind, String errorType, String errorMessage, String logText)
      implements FunctionOutcome {
    public FunctionError {
      if (!"Handled".equals(kind) && !"Unhandled".equals(kind)) {
        throw new IllegalArgumentException("kind must be Handled or Unhandled, was " + kind);
      }
      Objects.requireNonNull(errorType, "errorType");
      Objects.requireNonNull(errorMessage, "errorMessage");
    }
  }

  /**
   * An error of the Lambda service itself, before or instead of running the function.
   *
   * @param reason a throttle's Reason (TooManyRequestsException); null: the account's concurrency
   */
  record ApiError(
      int httpStatus, String errorType, String message, Integer retryAfterSeconds, String reason)
      implements FunctionOutcome {
    public ApiError(int httpStatus, String errorType, String message, Integer retryAfterSeconds) {
      this(httpStatus, errorType, message, retryAfterSeconds, null);
    }

    public ApiError {
      if (httpStatus < 400 || httpStatus > 599) {
        throw new IllegalArgumentException("httpStatus must be 4xx or 5xx, was " + httpStatus);
      }
      Objects.requireNonNull(errorType, "errorType");
      Objects.requireNonNull(message, "message");
      if (retryAfterSeconds != null && retryAfterSeconds < 0) {
        throw new IllegalArgumentException("retryAfterSeconds must not be negative");
      }
    }
  }

  /** Waits, then answers with {@code then}; lets tests exercise client timeouts. */
  record Delayed(Duration delay, FunctionOutcome then) implements FunctionOutcome {
    public Delayed {
      Objects.requireNonNull(delay, "delay");
      Objects.requireNonNull(then, "then");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative");
      }
    }
  }

  static FunctionOutcome result(byte[] payload) {
    return new Result(payload, null);
  }

  static FunctionOutcome result(byte[] payload, String logText) {
    return new Result(payload, logText);
  }

  /** A 200 result whose payload is {@code value} serialized with Jackson. */
  static FunctionOutcome json(Object value) {
    try {
      return new Result(EmulatorJson.MAPPER.writeValueAsBytes(value), null);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "value is not serializable to JSON: " + e.getOriginalMessage(), e);
    }
  }

  static FunctionOutcome functionError(
      String kind, String errorType, String errorMessage, String logText) {
    return new FunctionError(kind, errorType, errorMessage, logText);
  }

  static FunctionOutcome apiError(int httpStatus, String errorType, String message) {
    return new ApiError(httpStatus, errorType, message, null);
  }

  static FunctionOutcome apiError(
      int httpStatus, String errorType, String message, Integer retryAfterSeconds) {
    return new ApiError(httpStatus, errorType, message, retryAfterSeconds);
  }

  /** Lambda's throttle: 429 TooManyRequestsException with {@code reason}; the function did not run. */
  static FunctionOutcome throttled(String reason, Integer retryAfterSeconds) {
    return new ApiError(429, "TooManyRequestsException", "Rate Exceeded.", retryAfterSeconds, reason);
  }

  static FunctionOutcome delay(Duration delay, FunctionOutcome then) {
    return new Delayed(delay, then);
  }
}
