package dev.ephemeral.lambda.invoke;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * What {@link InvokeErrorTable} reads from a failure to classify it: the causes of an exception,
 * AWS's status and error code, a throttle's Retry-After, and a function error's errorType when it
 * is safe to show. Reading only; the table decides what each means.
 */
final class FailureDetails {

  private static final Pattern SAFE_ERROR_TYPE = Pattern.compile("^[A-Za-z0-9_.$:-]{1,128}$");

  private FailureDetails() {}

  /** AWS's error code (x-amzn-ErrorType); null when AWS gave none. */
  static String errorCode(AwsServiceException e) {
    return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
  }

  /** "HTTP 403 AccessDenied", or without the code when AWS gave none. */
  static String statusAndCode(AwsServiceException e) {
    String code = errorCode(e);
    return "HTTP " + e.statusCode() + (code == null ? "" : " " + code);
  }

  /** The wait Lambda asks for, from the exception or its Retry-After header; empty if unusable. */
  static Optional<Duration> retryAfter(TooManyRequestsException e) {
    String seconds = e.retryAfterSeconds();
    if (seconds == null
        && e.awsErrorDetails() != null
        && e.awsErrorDetails().sdkHttpResponse() != null) {
      seconds =
          e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Retry-After").orElse(null);
    }
    if (seconds == null) {
      return Optional.empty();
    }
    try {
      long value = Long.parseLong(seconds.trim());
      return value >= 0 ? Optional.of(Duration.ofSeconds(value)) : Optional.empty();
    } catch (NumberFormatException ignored) {
      return Optional.empty();
    }
  }

  /**
   * The errorType of a function error payload when it looks like a type name; null otherwise, so
   * that nothing of the function's own text (its errorMessage, or an errorType carrying data) is
   * shown.
   */
  static String errorType(ObjectMapper mapper, byte[] errorPayload) {
    try {
      var node = mapper.readTree(errorPayload);
      if (node != null && node.path("errorType").isTextual()) {
        String type = node.path("errorType").asText();
        return SAFE_ERROR_TYPE.matcher(type).matches() ? type : null;
      }
    } catch (IOException | RuntimeException ignored) {
      // Not JSON: there is no errorType to report.
    }
    return null;
  }

  static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    return causeOf(e, type) != null;
  }

  /** {@code e} or its first cause of {@code type}; null when none is. */
  static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  /** The class name of the innermost cause, which names what went wrong without its message. */
  static String rootCauseName(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName();
  }
}
