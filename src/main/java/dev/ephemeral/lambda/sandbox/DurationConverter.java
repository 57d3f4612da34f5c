package dev.ephemeral.lambda.sandbox;

import java.time.Duration;
import picocli.CommandLine;

/** Parses Kubernetes-style durations (90s, 10m, 1h30m). */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) throws Exception {
    if (!value.matches(dev.ephemeral.lambda.customresource.SpecRules.DURATION_PATTERN)
        && !value.equals("0")) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration such as 30s, 5m or 1h30m");
    }
    return value.equals("0")
        ? Duration.ZERO
        : io.fabric8.kubernetes.api.model.Duration.parse(value).getDuration();
  }
}
