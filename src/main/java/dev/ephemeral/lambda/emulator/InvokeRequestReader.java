package dev.ephemeral.lambda.emulator;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the parts of an HTTP request that Invoke uses: the body up to a limit, the path and query
 * as AWS decodes them, the headers and the SigV4 signing region.
 */
final class InvokeRequestReader {

  private static final String DEFAULT_REGION = "us-east-1";

  private InvokeRequestReader() {}

  /**
   * The region of the SigV4 credential scope ({@code
   * Credential=AKID/DATE/REGION/lambda/aws4_request}).
   */
  static String signingRegion(HttpExchange exchange) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null) {
      int start = authorization.indexOf("Credential=");
      if (start >= 0) {
        String[] scope = authorization.substring(start + "Credential=".length()).split("[/,]");
        if (scope.length > 2 && !scope[2].isBlank()) {
          return scope[2];
        }
      }
    }
    return DEFAULT_REGION;
  }

  static Map<String, List<String>> lowerCaseHeaders(HttpExchange exchange) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) ->
                headers.merge(
                    name.toLowerCase(Locale.ROOT),
                    List.copyOf(values),
                    (a, b) -> {
                      List<String> merged = new ArrayList<>(a);
                      merged.addAll(b);
                      return List.copyOf(merged);
                    }));
    return Collections.unmodifiableMap(headers);
  }

  static String queryParameter(String rawQuery, String name) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = percentDecode(eq < 0 ? pair : pair.substring(0, eq));
      if (key.equals(name)) {
        String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1));
        return value.isEmpty() ? null : value;
      }
    }
    return null;
  }

  /** Percent-decoding of a URI component; unlike form decoding, {@code +} stays a plus. */
  static String percentDecode(String raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%'
          && i + 2 < raw.length()
          && isHex(raw.charAt(i + 1))
          && isHex(raw.charAt(i + 2))) {
        out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isHex(char c) {
    return Character.digit(c, 16) >= 0;
  }

  static Body readBody(InputStream in, int limit) throws IOException {
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    byte[] buffer = new byte[16_384];
    long total = 0;
    for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
      long room = limit + 1L - total;
      if (room > 0) {
        kept.write(buffer, 0, (int) Math.min(n, room));
      }
      total += n;
    }
    return new Body(kept.toByteArray(), total > limit);
  }

  static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[16_384];
    while (in.read(buffer) != -1) {
      // discard: the client must be able to finish sending before it reads the answer
    }
  }

  /**
   * The request body as kept (at most the limit plus one byte) and whether it exceeded the limit.
   */
  record Body(byte[] bytes, boolean tooLarge) {}
}
