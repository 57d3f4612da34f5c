package dev.ephemeral.lambda.secret;

/** Text of a value for {@code ~} and join: null is empty, as Pebble prints it. */
final class BoundedText {

  private BoundedText() {}

  /** The value's text, refused when longer than {@link RestrictedPebble#MAX_VALUE_LENGTH}. */
  static String of(Object value, int lineNumber) {
    if (value == null) {
      return "";
    }
    String text = value.toString();
    if (text.length() > RestrictedPebble.MAX_VALUE_LENGTH) {
      throw new RestrictedPebble.ValueTooLarge(lineNumber);
    }
    return text;
  }
}
