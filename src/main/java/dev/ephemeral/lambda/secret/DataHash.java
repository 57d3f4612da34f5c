package dev.ephemeral.lambda.secret;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * SHA-256 over a Secret's data (as the API returns it: base64 values), stored in an annotation so
 * the operator can tell when anyone else changed the data.
 */
public final class DataHash {

  private DataHash() {}

  public static String of(Map<String, String> base64Data) {
    MessageDigest digest = sha256();
    new TreeMap<>(base64Data == null ? Map.of() : base64Data)
        .forEach(
            (key, value) -> {
              digest.update(key.getBytes(StandardCharsets.UTF_8));
              digest.update((byte) 0);
              digest.update(String.valueOf(value).getBytes(StandardCharsets.UTF_8));
              digest.update((byte) 0);
            });
    return "sha256:" + HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
