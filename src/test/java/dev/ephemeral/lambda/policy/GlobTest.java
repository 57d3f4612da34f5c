package dev.ephemeral.lambda.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GlobTest {

  @ParameterizedTest(name = "{0} ~ {1}: {2}")
  @CsvSource({
    "secret-*, secret-generator, true",
    "secret-*, secret-, true",
    "secret-*, Secret-generator, false",
    "secret-*, my-secret-generator, false",
    "*, anything, true",
    "*, '', true",
    "a?c, abc, true",
    "a?c, ac, false",
    "*-fn-*, my-fn-1, true",
    "*-fn-*, my-fn, false",
    "config-fetcher, config-fetcher, true",
    "config-fetcher, config-fetcher2, false",
    "eu-*, eu-west-1, true",
    "eu-*, us-east-1, false",
  })
  void matches(String pattern, String text, boolean expected) {
    assertThat(Glob.matches(pattern, text)).isEqualTo(expected);
  }
}
