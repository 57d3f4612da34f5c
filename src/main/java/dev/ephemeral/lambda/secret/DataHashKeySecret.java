package dev.ephemeral.lambda.secret;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * The key of {@link DataHash}, kept in the Secret {@value #NAME} of the operator's own namespace:
 * the first replica to start creates it with a random key, and every later start (a restart, a
 * new leader, a rolling update) reads the same key, so the hashes on result Secrets stay
 * checkable. Deleting that Secret re-keys: every result Secret then reads as edited once.
 */
public final class DataHashKeySecret {

  public static final String NAME = "lambda-invocation-operator-data-hash-key";
  static final String KEY = "key";
  private static final int HTTP_CONFLICT = 409;

  private DataHashKeySecret() {}

  /**
   * Reads the key, creating the Secret with a new random key when it does not exist yet.
   *
   * @throws IllegalStateException when the Secret exists but holds no usable key, or the API
   *     refuses access (the message says which, never the key)
   */
  public static byte[] load(KubernetesClient client, String namespace) {
    var secrets = client.secrets().inNamespace(namespace);
    try {
      Optional<Secret> existing = Optional.ofNullable(secrets.withName(NAME).get());
      if (existing.isEmpty()) {
        try {
          existing = Optional.of(secrets.resource(newSecret(namespace)).create());
        } catch (KubernetesClientException e) {
          if (e.getCode() != HTTP_CONFLICT) {
            throw e;
          }
          // Another replica created it first: use its key.
          existing = Optional.ofNullable(secrets.withName(NAME).get());
        }
      }
      return keyOf(existing.orElseThrow(() -> unusable(namespace)), namespace);
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          "cannot read or create the Secret "
              + namespace
              + "/"
              + NAME
              + " that keeps the data-hash key (HTTP "
              + e.getCode()
              + "): the operator needs get and create on Secrets in its own namespace",
          e);
    }
  }

  private static byte[] keyOf(Secret secret, String namespace) {
    String encoded = secret.getData() == null ? null : secret.getData().get(KEY);
    try {
      byte[] key = encoded == null ? new byte[0] : Base64.getDecoder().decode(encoded);
      if (key.length >= DataHash.KEY_BYTES) {
        return key;
      }
    } catch (IllegalArgumentException e) {
      // Not base64: reported below as unusable.
    }
    throw unusable(namespace);
  }

  private static IllegalStateException unusable(String namespace) {
    return new IllegalStateException(
        "the Secret "
            + namespace
            + "/"
            + NAME
            + " holds no usable data-hash key (data key '"
            + KEY
            + "', at least "
            + DataHash.KEY_BYTES
            + " bytes): delete it and the operator creates a new one");
  }

  private static Secret newSecret(String namespace) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(NAME)
        .withNamespace(namespace)
        .withLabels(
            Map.of(
                "app.kubernetes.io/name", "lambda-invocation-operator",
                "app.kubernetes.io/component", "data-hash-key"))
        .endMetadata()
        .withType("Opaque")
        .withData(Map.of(KEY, Base64.getEncoder().encodeToString(DataHash.randomKey())))
        .build();
  }
}
