package dev.ephemeral.lambda.emulator;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code FunctionName} path parameter of Invoke, taken apart: a plain name, {@code
 * name:qualifier}, a partial ARN ({@code 123456789012:function:name[:qualifier]}) or a full ARN
 * ({@code arn:aws:lambda:REGION:123456789012:function:name[:qualifier]}).
 *
 * @param name the plain function name
 * @param qualifier the qualifier inside the reference, null if none
 * @param region the region of a full ARN, null otherwise
 * @param account the account of a full or partial ARN, null otherwise
 */
record FunctionReference(String name, String qualifier, String region, String account) {

  /** The Invoke API's length limit on the whole parameter. */
  static final int MAX_REFERENCE_LENGTH = 170;

  /** The length limit on a plain function name. */
  static final int MAX_NAME_LENGTH = 64;

  private static final Pattern REFERENCE =
      Pattern.compile(
          "(?:arn:aws[a-zA-Z-]*:lambda:(?<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\\d):(?<arnAccount>\\d{12}):function:"
              + "|(?<partialAccount>\\d{12}):function:)?(?<name>[a-zA-Z0-9_.-]+)"
              + "(?::(?<qualifier>\\$LATEST|[a-zA-Z0-9_-]+))?");

  /**
   * Parses the decoded parameter; empty if it is not a function reference the Invoke API accepts.
   */
  static Optional<FunctionReference> parse(String value) {
    if (value.isEmpty() || value.length() > MAX_REFERENCE_LENGTH) {
      return Optional.empty();
    }
    Matcher m = REFERENCE.matcher(value);
    if (!m.matches() || m.group("name").length() > MAX_NAME_LENGTH) {
      return Optional.empty();
    }
    String account =
        m.group("arnAccount") != null ? m.group("arnAccount") : m.group("partialAccount");
    return Optional.of(
        new FunctionReference(m.group("name"), m.group("qualifier"), m.group("region"), account));
  }
}
