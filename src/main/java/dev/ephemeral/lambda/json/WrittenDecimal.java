package dev.ephemeral.lambda.json;

import java.math.BigDecimal;

/**
 * A JSON number with a fraction or an exponent, read exactly and written back as it was written:
 * {@code 1e400} stays {@code 1e400} (a double would be Infinity), {@code 1.10} stays {@code 1.10}
 * (a double would be 1.1), and 1,200 digits stay 1,200 digits. Its value is the exact decimal, so
 * comparisons and arithmetic (in a Secret template) work on it as on any BigDecimal; only its text
 * differs, and Jackson, Pebble and the operator all write a BigDecimal through that text.
 */
public final class WrittenDecimal extends BigDecimal {

  private final String text;

  /**
   * @param text a JSON number as written
   * @throws NumberFormatException when it is not one
   */
  public WrittenDecimal(String text) {
    super(text);
    this.text = text;
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public String toPlainString() {
    return text;
  }

  @Override
  public String toEngineeringString() {
    return text;
  }
}
