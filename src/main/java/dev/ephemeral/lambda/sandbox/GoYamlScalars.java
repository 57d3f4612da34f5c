package dev.ephemeral.lambda.sandbox;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a YAML scalar means to kubectl, which reads YAML with sigs.k8s.io/yaml on top of go-yaml v2:
 * YAML 1.1 booleans ({@code yes}, {@code on}, {@code y}...), {@code 0777} as octal, {@code ~} as
 * null, timestamps kept as the text written, explicit tags checked as go-yaml checks them.
 */
final class GoYamlScalars {

  static final String STR = "tag:yaml.org,2002:str";
  static final String BOOL = "tag:yaml.org,2002:bool";
  static final String INT = "tag:yaml.org,2002:int";
  static final String FLOAT = "tag:yaml.org,2002:float";
  static final String NULL = "tag:yaml.org,2002:null";
  static final String TIMESTAMP = "tag:yaml.org,2002:timestamp";
  static final String BINARY = "tag:yaml.org,2002:binary";
  static final String MERGE = "tag:yaml.org,2002:merge";

  /** A scalar that is not a string, boolean, number or null. */
  static final class ScalarException extends Exception {
    ScalarException(String message) {
      super(message);
    }
  }

  /** The plain scalars go-yaml v2 looks up before trying numbers (its resolveMap). */
  private static final Map<String, Object> WORDS = new HashMap<>();

  /** The tag each word resolves to. */
  private static final Map<String, String> WORD_TAGS = new HashMap<>();

  private static final Pattern FLOAT_SYNTAX =
      Pattern.compile("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$");
  private static final Pattern LEADING_DOT_FLOAT = Pattern.compile("^\\.[0-9]+([eE][-+]?[0-9]+)?$");

  /** The forms go-yaml accepts for an explicit !!timestamp. */
  private static final Pattern TIMESTAMP_SYNTAX =
      Pattern.compile(
          "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
              + "([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})"
              + "| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]+)?)?$");

  private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);
  private static final BigInteger UINT64_MAX =
      BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  static {
    word(BOOL, true, "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON");
    word(BOOL, false, "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF");
    word(NULL, null, "", "~", "null", "Null", "NULL");
    word(FLOAT, Double.NaN, ".nan", ".NaN", ".NAN");
    word(FLOAT, Double.POSITIVE_INFINITY, ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF");
    word(FLOAT, Double.NEGATIVE_INFINITY, "-.inf", "-.Inf", "-.INF");
  }

  private GoYamlScalars() {}

  private static void word(String tag, Object value, String... spellings) {
    for (String spelling : spellings) {
      WORDS.put(spelling, value);
      WORD_TAGS.put(spelling, tag);
    }
  }

  /**
   * The value of a scalar as go-yaml v2 decodes it into an untyped Go value: a String, Boolean,
   * Long, BigInteger (beyond int64, within uint64), Double or null.
   *
   * @param tag the explicit tag, null when none was written
   * @param plain whether the scalar is plain (unquoted, no block style) and so open to resolution
   */
  static Object decode(String tag, String text, boolean plain) throws ScalarException {
    if (tag == null && !plain) {
      return text;
    }
    String effectiveTag = tag == null ? "" : tag;
    if (BINARY.equals(effectiveTag)) {
      try {
        return new String(Base64.getDecoder().decode(text.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new ScalarException("is tagged !!binary but is not valid base64");
      }
    }
    if (!isResolvable(effectiveTag)) {
      // A tag of its own (!foo) or the non-specific !: go-yaml keeps the text.
      return text;
    }
    Object[] resolved = resolve(effectiveTag, text);
    String resolvedTag = (String) resolved[0];
    Object value = resolved[1];
    if (effectiveTag.isEmpty() || effectiveTag.equals(resolvedTag)) {
      return value;
    }
    if (effectiveTag.equals(FLOAT) && resolvedTag.equals(INT) && value instanceof Long number) {
      return number.doubleValue();
    }
    throw new ScalarException(
        "is tagged "
            + shortTag(effectiveTag)
            + " but reads as "
            + shortTag(resolvedTag)
            + ", which kubectl refuses");
  }

  /**
   * A map key as sigs.k8s.io/yaml turns it into a JSON object key: strings as written, integers in
   * decimal, booleans as true/false, floats in Go's shortest 32-bit form.
   */
  static String key(Object value) throws ScalarException {
    if (value instanceof String text) {
      return text;
    }
    if (value instanceof Boolean bool) {
      return bool.toString();
    }
    if (value instanceof Long number) {
      return number.toString();
    }
    if (value instanceof Double number) {
      return float32Text(number);
    }
    throw new ScalarException(
        value == null
            ? "has a null key, which JSON cannot hold"
            : "has an integer key beyond 64 bits, which kubectl refuses");
  }

  private static boolean isResolvable(String tag) {
    return switch (tag) {
      case "", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP -> true;
      default -> false;
    };
  }

  /** go-yaml v2's resolve(): the tag and value a scalar's text resolves to. */
  private static Object[] resolve(String tag, String in) {
    if (tag.equals(STR)) {
      return new Object[] {STR, in};
    }
    char hint = in.isEmpty() ? 'N' : hint(in.charAt(0));
    if (hint != 0) {
      if (WORDS.containsKey(in)) {
        return new Object[] {WORD_TAGS.get(in), WORDS.get(in)};
      }
      if (hint == '.' && LEADING_DOT_FLOAT.matcher(in).matches()) {
        double value = Double.parseDouble(in);
        if (!Double.isInfinite(value)) {
          return new Object[] {FLOAT, value};
        }
      }
      if (hint == 'D' || hint == 'S') {
        if ((tag.isEmpty() || tag.equals(TIMESTAMP)) && TIMESTAMP_SYNTAX.matcher(in).matches()) {
          // Into an untyped value go-yaml keeps a timestamp as the text written.
          return new Object[] {TIMESTAMP, in};
        }
        String plain = in.replace("_", "");
        BigInteger integer = goInteger(plain);
        if (integer != null && integer.compareTo(INT64_MIN) >= 0) {
          if (integer.compareTo(INT64_MAX) <= 0) {
            return new Object[] {INT, integer.longValue()};
          }
          if (integer.compareTo(UINT64_MAX) <= 0
              && plain.charAt(0) != '-'
              && plain.charAt(0) != '+') {
            return new Object[] {INT, integer};
          }
        }
        if (FLOAT_SYNTAX.matcher(plain).matches()) {
          double value = Double.parseDouble(plain);
          // Go's ParseFloat reports overflow as an error, so such text stays a string.
          if (!Double.isInfinite(value)) {
            return new Object[] {FLOAT, value};
          }
        }
      }
    }
    return new Object[] {STR, in};
  }

  private static char hint(char first) {
    if (first == '+' || first == '-') {
      return 'S';
    }
    if (first >= '0' && first <= '9') {
      return 'D';
    }
    if ("yYnNtTfFoO~".indexOf(first) >= 0) {
      return 'M';
    }
    if (first == '.') {
      return '.';
    }
    return 0;
  }

  /**
   * Go's strconv.ParseInt(text, 0, 64) syntax without the range check: an optional sign, then 0x,
   * 0o or 0b and digits of that base, a leading 0 for octal, or decimal digits. Null if not such
   * text.
   */
  private static BigInteger goInteger(String text) {
    if (text.isEmpty()) {
      return null;
    }
    int start = 0;
    boolean negative = false;
    if (text.charAt(0) == '+' || text.charAt(0) == '-') {
      negative = text.charAt(0) == '-';
      start = 1;
    }
    String body = text.substring(start);
    int radix = 10;
    if (body.length() > 1 && body.charAt(0) == '0') {
      switch (Character.toLowerCase(body.charAt(1))) {
        case 'x' -> {
          radix = 16;
          body = body.substring(2);
        }
        case 'o' -> {
          radix = 8;
          body = body.substring(2);
        }
        case 'b' -> {
          radix = 2;
          body = body.substring(2);
        }
        default -> {
          radix = 8;
          body = body.substring(1);
        }
      }
    }
    if (body.isEmpty()) {
      return null;
    }
    for (int i = 0; i < body.length(); i++) {
      if (Character.digit(body.charAt(i), radix) < 0) {
        return null;
      }
    }
    BigInteger value = new BigInteger(body, radix);
    return negative ? value.negate() : value;
  }

  /**
   * Go's strconv.FormatFloat(value, 'g', -1, 32), with .inf, -.inf and .nan as go-yaml writes them.
   */
  static String float32Text(double value) {
    float single = (float) value;
    if (Float.isNaN(single)) {
      return ".nan";
    }
    if (Float.isInfinite(single)) {
      return single > 0 ? ".inf" : "-.inf";
    }
    if (single == 0) {
      return 1 / single < 0 ? "-0" : "0";
    }
    BigDecimal decimal = new BigDecimal(Float.toString(Math.abs(single))).stripTrailingZeros();
    String digits = decimal.unscaledValue().toString();
    int exponent = digits.length() - decimal.scale() - 1;
    String sign = single < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 6) {
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      String power = String.format("%02d", Math.abs(exponent));
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + power;
    }
    if (exponent < 0) {
      return sign + "0." + "0".repeat(-exponent - 1) + digits;
    }
    if (digits.length() <= exponent + 1) {
      return sign + digits + "0".repeat(exponent + 1 - digits.length());
    }
    return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
  }

  private static String shortTag(String tag) {
    return tag.startsWith("tag:yaml.org,2002:") ? "!!" + tag.substring(18) : tag;
  }
}
