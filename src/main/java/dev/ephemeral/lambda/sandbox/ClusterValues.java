package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Comparator;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The JSON values a Kubernetes API server keeps of what kubectl sends it, so that a function
 * receives in the sandbox what it receives from a cluster: object keys in Go's sorted order, an
 * integer as int64 when it fits and every other number as a float64, written the way Go writes one
 * (a float with no fraction below 1e21 comes back as an integer: {@code 1.0} is {@code 1}).
 */
final class ClusterValues {

  /**
   * The deepest nesting of objects and arrays a Kubernetes API server decodes, and so the deepest a
   * manifest may be; the root object is level 1.
   */
  static final int MAX_DEPTH = 10_000;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);
  private static final double GO_EXPONENT_FORMAT_FROM = 1e21;
  private static final Pattern SIMPLE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

  /** Go sorts map keys by their UTF-8 bytes, which is the order of their code points. */
  private static final Comparator<String> GO_KEY_ORDER =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          int x = a.codePointAt(i);
          int y = b.codePointAt(j);
          if (x != y) {
            return Integer.compare(x, y);
          }
          i += Character.charCount(x);
          j += Character.charCount(y);
        }
        return Integer.compare(a.length() - i, b.length() - j);
      };

  /** A number JSON cannot carry: infinite or NaN. */
  static final class NonFiniteNumberException extends Exception {
    NonFiniteNumberException() {
      super(null, null, false, false);
    }
  }

  private ClusterValues() {}

  static JsonNodeFactory nodes() {
    return NODES;
  }

  /** An empty object whose keys iterate in the order Go writes them. */
  static ObjectNode object() {
    return new ObjectNode(NODES, new TreeMap<String, JsonNode>(GO_KEY_ORDER));
  }

  static JsonNode integer(BigInteger value) throws NonFiniteNumberException {
    if (value.compareTo(INT64_MIN) >= 0 && value.compareTo(INT64_MAX) <= 0) {
      long exact = value.longValue();
      return exact == (int) exact ? NODES.numberNode((int) exact) : NODES.numberNode(exact);
    }
    return floating(value.doubleValue());
  }

  static JsonNode floating(double value) throws NonFiniteNumberException {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new NonFiniteNumberException();
    }
    if (value == Math.rint(value) && Math.abs(value) < GO_EXPONENT_FORMAT_FROM) {
      BigInteger whole = BigDecimal.valueOf(value).toBigInteger();
      return whole.compareTo(INT64_MIN) >= 0 && whole.compareTo(INT64_MAX) <= 0
          ? integer(whole)
          : NODES.numberNode(whole);
    }
    return NODES.numberNode(value);
  }

  static JsonNode decimal(BigDecimal value) throws NonFiniteNumberException {
    return floating(value.doubleValue());
  }

  /** The path of a member, as Kubernetes names fields: {@code spec.payload.ratio}. */
  static String child(String path, String key) {
    String member = SIMPLE_KEY.matcher(key).matches() ? key : "[" + quote(key) + "]";
    if (path.isEmpty()) {
      return member;
    }
    return member.startsWith("[") ? path + member : path + "." + member;
  }

  static String index(String path, int index) {
    return path + "[" + index + "]";
  }

  private static String quote(String key) {
    return "\"" + key.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
