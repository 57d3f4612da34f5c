package dev.ephemeral.lambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import dev.ephemeral.lambda.secret.DataHashKeySecret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A data-hash key Secret that holds no usable key is replaced with a fresh key, as if it had been
 * deleted, with a warning that names the problem but never the key: every start would fail on it
 * otherwise, and a rolling update would stall.
 */
class DataHashKeySecretTest {

  private static final String NAMESPACE = "lambda-invocation-system";

  /** A short key's bytes: they must reach no log line, in any form. */
  private static final byte[] SHORT_KEY = "sh0rt-k3y-bytes".getBytes();

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"missing", "not base64", "too short"})
  void anUnusableKeySecretIsReplacedWithAFreshKeyAndAWarning(String problem) {
    try (var kubernetes = InProcessKubernetes.start();
        var logs = TraceLogs.capture(DataHashKeySecret.class.getName())) {
      String shortKey = Base64.getEncoder().encodeToString(SHORT_KEY);
      Map<String, String> data =
          switch (problem) {
            case "missing" -> Map.of("other", shortKey);
            case "not base64" -> Map.of("key", "%%" + new String(SHORT_KEY) + "%%");
            default -> Map.of("key", shortKey);
          };
      kubernetes
          .client()
          .secrets()
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(DataHashKeySecret.NAME)
                  .withNamespace(NAMESPACE)
                  .endMetadata()
                  .withData(data)
                  .build())
          .create();

      byte[] key = DataHashKeySecret.load(kubernetes.client(), NAMESPACE);

      assertThat(key).hasSize(32);
      var stored =
          kubernetes.client().secrets().inNamespace(NAMESPACE).withName(DataHashKeySecret.NAME).get();
      assertThat(stored.getData()).containsOnlyKeys("key");
      assertThat(Base64.getDecoder().decode(stored.getData().get("key"))).isEqualTo(key);
      assertThat(DataHashKeySecret.load(kubernetes.client(), NAMESPACE))
          .as("the next start reads the same key")
          .isEqualTo(key);
      var warnings =
          logs.events().stream().filter(e -> e.getLevel() == Level.WARN).toList();
      assertThat(warnings)
          .singleElement()
          .satisfies(
              w -> {
                assertThat(w.getFormattedMessage()).contains("replacing it with a new random key");
                assertThat(String.valueOf(w.getKeyValuePairs()))
                    .contains(NAMESPACE + "/" + DataHashKeySecret.NAME)
                    .contains(
                        switch (problem) {
                          case "missing" -> "no data key 'key'";
                          case "not base64" -> "data key 'key' is not base64";
                          default -> "holds 15 bytes, fewer than the 32";
                        });
              });
      for (var event : logs.events()) {
        String line = event.getFormattedMessage() + " " + event.getKeyValuePairs();
        assertThat(line)
            .doesNotContain(shortKey)
            .doesNotContain(new String(SHORT_KEY))
            .doesNotContain(Base64.getEncoder().encodeToString(key));
      }
      logs.assertNoLineContains(
          List.of(
              shortKey, new String(SHORT_KEY), Base64.getEncoder().encodeToString(key)));
    }
  }
}
