package dev.ephemeral.lambda.secret;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which previous values a rotation keeps, and for how long. */
class PreviousValuesTest {

  private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
  private static final Duration HOUR = Duration.ofHours(1);

  @Test
  void aRotationKeepsEachReplacedKeyAsItsPreviousUntilTheRetentionIsOver() {
    Secret rotated =
        PreviousValues.keep(
            secret("kubernetes.io/tls", Map.of("tls.crt", "new-crt", "tls.key", "new-key")),
            secret("kubernetes.io/tls", Map.of("tls.crt", "old-crt", "tls.key", "old-key")),
            NOW,
            HOUR);

    // The type's required keys hold the new values; the previous ones are extra keys.
    assertThat(decoded(rotated))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "tls.crt", "new-crt",
                "tls.key", "new-key",
                "tls.crt.previous", "old-crt",
                "tls.key.previous", "old-key"));
    assertThat(PreviousValues.expiresAt(rotated)).contains(NOW.plus(HOUR));
  }

  @Test
  void theNextRotationReplacesThePreviousValuesAndTheirTime() {
    Secret second =
        PreviousValues.keep(
            secret("Opaque", Map.of("k", "v2")),
            secret("Opaque", Map.of("k", "v1")),
            NOW,
            HOUR);
    Secret third =
        PreviousValues.keep(secret("Opaque", Map.of("k", "v3")), second, NOW.plusSeconds(60), HOUR);

    assertThat(decoded(third)).isEqualTo(Map.of("k", "v3", "k.previous", "v2"));
    assertThat(PreviousValues.expiresAt(third)).contains(NOW.plusSeconds(60).plus(HOUR));
  }

  @Test
  void aRefreshWithTheSameDataKeepsThePreviousValuesUntilTheirTimeOnly() {
    Secret rotated =
        PreviousValues.keep(
            secret("Opaque", Map.of("k", "v2")), secret("Opaque", Map.of("k", "v1")), NOW, HOUR);

    Secret refreshed =
        PreviousValues.keep(
            secret("Opaque", Map.of("k", "v2")), rotated, NOW.plusSeconds(60), HOUR);
    Secret late =
        PreviousValues.keep(secret("Opaque", Map.of("k", "v2")), rotated, NOW.plus(HOUR), HOUR);

    assertThat(decoded(refreshed)).isEqualTo(Map.of("k", "v2", "k.previous", "v1"));
    assertThat(PreviousValues.expiresAt(refreshed)).contains(NOW.plus(HOUR));
    assertThat(decoded(late)).isEqualTo(Map.of("k", "v2"));
    assertThat(PreviousValues.expiresAt(late)).isEmpty();
  }

  @Test
  void previousValuesThatWouldNotFitInOneSecretAreNotKept() {
    String big = "x".repeat(600 * 1024);
    Secret rotated =
        PreviousValues.keep(
            secret("Opaque", Map.of("k", big + "new")),
            secret("Opaque", Map.of("k", big + "old")),
            NOW,
            HOUR);

    assertThat(rotated.getData()).containsOnlyKeys("k");
    assertThat(PreviousValues.expiresAt(rotated)).isEmpty();
  }

  @Test
  void droppingLeavesTheDataOfTheLastResult() {
    Secret rotated =
        PreviousValues.keep(
            secret("Opaque", Map.of("k", "v2")), secret("Opaque", Map.of("k", "v1")), NOW, HOUR);

    Secret dropped = PreviousValues.dropped(rotated);

    assertThat(decoded(dropped)).isEqualTo(Map.of("k", "v2"));
    assertThat(PreviousValues.expiresAt(dropped)).isEmpty();
    assertThat(PreviousValues.currentData(rotated)).isEqualTo(dropped.getData());
  }

  private static Secret secret(String type, Map<String, String> values) {
    var data = new LinkedHashMap<String, String>();
    values.forEach(
        (k, v) ->
            data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder()
        .withNewMetadata()
        .withName("s")
        .withAnnotations(new TreeMap<>(Map.of(SecretLayout.DATA_HASH_ANNOTATION, "h")))
        .endMetadata()
        .withType(type)
        .withData(data)
        .build();
  }

  private static Map<String, String> decoded(Secret secret) {
    var values = new TreeMap<String, String>();
    secret
        .getData()
        .forEach(
            (k, v) ->
                values.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    return values;
  }
}
