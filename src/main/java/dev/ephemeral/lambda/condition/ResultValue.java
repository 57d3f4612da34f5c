package dev.ephemeral.lambda.condition;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cel.common.values.NullValue;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A function's result as the CEL variable {@code result}: the parsed JSON value (objects as maps,
 * arrays as lists, integral numbers that fit as int, others as double), or the text when it is not
 * JSON.
 */
final class ResultValue {

  /**
   * Deeper results are not read: CEL compares and prints values by recursion. A JSON result this
   * deep is an evaluation error, never read as text.
   */
  static final int MAX_DEPTH = 64;

  /** The longest number read (Jackson's default). */
  private static final int MAX_NUMBER_LENGTH = 1000;

  private static final ObjectMapper JSON =
      new ObjectMapper(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_DEPTH)
                          .maxNumberLength(MAX_NUMBER_LENGTH)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** The result is JSON nested deeper than {@link #MAX_DEPTH}, or has a number too long. */
  static final class TooDeep extends Exception {
    TooDeep() {
      super("result nested too deeply", null, false, false);
    }
  }

  private ResultValue() {}

  static Object of(byte[] payload) throws TooDeep {
    Object json;
    try {
      json = JSON.readValue(payload, Object.class);
    } catch (StreamConstraintsException e) {
      throw new TooDeep();
    } catch (IOException e) {
      // Not JSON (or empty): the text, as a condition on a plain-text result reads it.
      return new String(payload, StandardCharsets.UTF_8);
    }
    return celValue(json);
  }

  /** Jackson's plain value as CEL's: int64, double, null value; depth is bounded by the reader. */
  private static Object celValue(Object json) {
    if (json == null) {
      return NullValue.NULL_VALUE;
    }
    if (json instanceof Integer i) {
      return i.longValue();
    }
    if (json instanceof BigInteger big) {
      return big.doubleValue();
    }
    if (json instanceof Map<?, ?> map) {
      var value = new LinkedHashMap<String, Object>();
      map.forEach((k, v) -> value.put((String) k, celValue(v)));
      return value;
    }
    if (json instanceof List<?> list) {
      var value = new ArrayList<Object>(list.size());
      list.forEach(v -> value.add(celValue(v)));
      return value;
    }
    return json;
  }
}
