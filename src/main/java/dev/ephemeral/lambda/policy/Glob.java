package dev.ephemeral.lambda.policy;

/**
 * A policy's pattern: {@code *} matches any run of characters (also none), {@code ?} exactly one;
 * every other character matches itself, case-sensitively.
 */
final class Glob {

  private Glob() {}

  static boolean matches(String pattern, String text) {
    int p = 0;
    int t = 0;
    int star = -1;
    int starText = 0;
    while (t < text.length()) {
      if (p < pattern.length()
          && (pattern.charAt(p) == '?' || pattern.charAt(p) == text.charAt(t))) {
        p++;
        t++;
      } else if (p < pattern.length() && pattern.charAt(p) == '*') {
        star = p++;
        starText = t;
      } else if (star >= 0) {
        p = star + 1;
        t = ++starText;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }

  /** How specific a pattern is: its characters that are not wildcards. */
  static int literals(String pattern) {
    if (pattern == null) {
      return 0;
    }
    return (int) pattern.chars().filter(c -> c != '*' && c != '?').count();
  }
}
