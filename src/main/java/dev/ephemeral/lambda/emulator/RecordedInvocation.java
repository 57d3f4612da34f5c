package dev.ephemeral.lambda.emulator;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request that reached the Invoke route, as received.
 *
 * @param method the HTTP method
 * @param rawPath the path as sent, still URL-encoded
 * @param functionName the resolved plain function name (the decoded path segment if it could not be
 *     parsed)
 * @param qualifier the qualifier from the path or the {@code Qualifier} query parameter, null if
 *     none
 * @param headers the request headers, names in lower case
 * @param body the request body as sent
 * @param receivedAt when the emulator received the request
 */
public record RecordedInvocation(
    String method,
    String rawPath,
    String functionName,
    String qualifier,
    Map<String, List<String>> headers,
    byte[] body,
    Instant receivedAt) {

  private static final String SIGV4_PREFIX = "AWS4-HMAC-SHA256 Credential=";

  /** The first value of a header, looked up case-insensitively, or null. */
  public String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** Whether the request carries an AWS Signature Version 4 Authorization header. */
  public boolean signedWithSigV4() {
    String authorization = header("authorization");
    return authorization != null && authorization.startsWith(SIGV4_PREFIX);
  }
}
