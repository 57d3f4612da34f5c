package dev.ephemeral.lambda.secret;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key of {@link DataHash}, kept in the Secret {@value #NAME} of the operator's own namespace:
 * the first replica to start creates it with a random key, and every later start (a restart, a
 * new leader, a rolling update) reads the same key, so the hashes on result Secrets stay
 * checkable. Deleting that Secret re-keys: every result Secret then reads as edited once.
 *
 * <p>A Secret that holds no usable key (no data key {@value #KEY}, not base64, too short) is
 * replaced as if it had been deleted, with a warning, instead of failing every start: a rolling
 * update would stall on it. Replacing is safe with two replicas starting at once: the Secret is
 * deleted only at the version that was read (a replica that finds it already replaced reads the
 * new key), and a new one is only ever created, never overwritten, so all replicas end with the
 * one key that was created. A replica already running keeps the key it read at its start, as
 * when the Secret is deleted.
 */
public final class DataHashKeySecret {

  private static final Logger LOG = LoggerFactory.getLogger(DataHashKeySecret.class);

  public static final String NAME = "lambda-invocation-operator-data-hash-key";
  static final String KEY = "key";
  private static final int HTTP_NOT_FOUND = 404;
  private static final int HTTP_CONFLICT = 409;

  /** Reads, creations and replacements before giving up on replicas that keep racing. */
  private static final int MAX_ATTEMPTS = 5;

  private DataHashKeySecret() {}

  /**
   * Reads the key, creating the Secret with a new random key when it does not exist yet, and
   * replacing it when it holds no usable key.
   *
   * @throws IllegalStateException when the API refuses access (the message says which, never the
   *     key)
   */
  public static byte[] load(KubernetesClient client, String namespace) {
    var secrets = client.secrets().inNamespace(namespace);
    String where = namespace + "/" + NAME;
    try {
      for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        Secret existing = secrets.withName(NAME).get();
        if (existing == null) {
          try {
            existing = secrets.resource(newSecret(namespace)).create();
          } catch (KubernetesClientException e) {
            if (e.getCode() != HTTP_CONFLICT) {
              throw e;
            }
            // Another replica created it first: read its key.
            continue;
          }
        }
        Optional<String> problem = problem(existing);
        if (problem.isEmpty()) {
          return key(existing);
        }
        LOG.atWarn()
            .addKeyValue("secret", where)
            .addKeyValue("problem", problem.get())
            .log(
                "The data-hash key Secret holds no usable key; replacing it with a new random key,"
                    + " as if it had been deleted: each result Secret reads as edited once (it is"
                    + " invoked again) and each resource with spec.payloadFrom is invoked once");
        try {
          secrets
              .withName(NAME)
              .lockResourceVersion(existing.getMetadata().getResourceVersion())
              .delete();
        } catch (KubernetesClientException e) {
          if (e.getCode() != HTTP_CONFLICT && e.getCode() != HTTP_NOT_FOUND) {
            throw e;
          }
          // Another replica replaced it first: read the key it made.
        }
      }
      throw new IllegalStateException(
          "the Secret "
              + where
              + " that keeps the data-hash key kept changing while the operator read it ("
              + MAX_ATTEMPTS
              + " attempts): is something else writing it?");
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          "cannot read, create or replace the Secret "
              + where
              + " that keeps the data-hash key (HTTP "
              + e.getCode()
              + "): the operator needs get, create and delete on Secrets in its own namespace",
          e);
    }
  }

  /** Why {@code secret} holds no usable key; empty when it does. Never shows the key. */
  private static Optional<String> problem(Secret secret) {
    String encoded = secret.getData() == null ? null : secret.getData().get(KEY);
    if (encoded == null) {
      return Optional.of("no data key '" + KEY + "'");
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      return Optional.of("data key '" + KEY + "' is not base64");
    }
    if (key.length < DataHash.KEY_BYTES) {
      return Optional.of(
          "data key '"
              + KEY
              + "' holds "
              + key.length
              + " bytes, fewer than the "
              + DataHash.KEY_BYTES
              + " an HMAC-SHA256 key needs");
    }
    return Optional.empty();
  }

  private static byte[] key(Secret secret) {
    return Base64.getDecoder().decode(secret.getData().get(KEY));
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
