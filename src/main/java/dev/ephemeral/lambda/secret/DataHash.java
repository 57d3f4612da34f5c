package dev.ephemeral.lambda.secret;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A keyed hash (HMAC-SHA256) of a Secret's data (as the API returns it: base64 values), stored in an
 * annotation so the operator can tell when anyone else changed the data. Keyed, because annotations
 * are shown where data is not (Argo CD, describe output): a plain hash of a short result could be
 * guessed back. The key is kept in a Secret of the operator's own namespace ({@link
 * DataHashKeySecret}), so a restarted operator or a new leader still tells an intact Secret from an
 * edited one.
 */
public final class DataHash {

  private static final String ALGORITHM = "HmacSHA256";
  private volatile SecretKeySpec key;

  private DataHash(byte[] key) {
    this.key = key == null ? null : new SecretKeySpec(key, ALGORITHM);
  }

  static final int KEY_BYTES = 32;

  /** A key for this process only (tests, and nothing else: see {@link DataHashKeySecret}). */
  public static DataHash withRandomKey() {
    return new DataHash(randomKey());
  }

  public static DataHash withKey(byte[] key) {
    requireLongEnough(key);
    return new DataHash(key);
  }

  /**
   * A hash whose key is set later, once, with {@link #useKey}: the operator reads its key from the
   * cluster when it starts, before the first reconcile, not when it is assembled.
   */
  public static DataHash keyedLater() {
    return new DataHash(null);
  }

  /** Sets the key of a {@link #keyedLater()} hash. */
  public void useKey(byte[] key) {
    requireLongEnough(key);
    this.key = new SecretKeySpec(key, ALGORITHM);
  }

  private static void requireLongEnough(byte[] key) {
    if (key.length < KEY_BYTES) {
      throw new IllegalArgumentException("an HMAC key needs at least " + KEY_BYTES + " bytes");
    }
  }

  static byte[] randomKey() {
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return key;
  }

  public String of(Map<String, String> base64Data) {
    Mac mac = mac();
    new TreeMap<>(base64Data == null ? Map.of() : base64Data)
        .forEach(
            (dataKey, value) -> {
              mac.update(dataKey.getBytes(StandardCharsets.UTF_8));
              mac.update((byte) 0);
              mac.update(String.valueOf(value).getBytes(StandardCharsets.UTF_8));
              mac.update((byte) 0);
            });
    return "hmac-sha256:" + HexFormat.of().formatHex(mac.doFinal());
  }

  private Mac mac() {
    SecretKeySpec current = key;
    if (current == null) {
      throw new IllegalStateException("the data-hash key has not been read yet");
    }
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(current);
      return mac;
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA256 is part of every JDK", e);
    }
  }
}
