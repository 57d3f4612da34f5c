package dev.ephemeral.lambda.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Secret types of spec.secret.type and the data keys each requires, as the Kubernetes API
 * server checks them when a Secret is created: the operator checks them itself, on the spec before
 * any call and on the data before any write, so a Secret the API server would refuse is never
 * sent (and a refused write never leaves a Secret half replaced).
 */
public final class SecretTypes {

  private SecretTypes() {}

  public static final String OPAQUE = "Opaque";
  public static final String BASIC_AUTH = "kubernetes.io/basic-auth";
  public static final String DOCKERCFG = "kubernetes.io/dockercfg";
  public static final String DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson";
  public static final String SSH_AUTH = "kubernetes.io/ssh-auth";
  public static final String TLS = "kubernetes.io/tls";

  /**
   * For each type, what its data must hold: every inner list is one requirement, met by any one of
   * its keys (basic-auth: username or password; tls: tls.crt, and tls.key).
   */
  private static final Map<String, List<List<String>>> REQUIRED =
      Map.of(
          OPAQUE, List.of(),
          BASIC_AUTH, List.of(List.of("username", "password")),
          DOCKERCFG, List.of(List.of(".dockercfg")),
          DOCKER_CONFIG_JSON, List.of(List.of(".dockerconfigjson")),
          SSH_AUTH, List.of(List.of("ssh-privatekey")),
          TLS, List.of(List.of("tls.crt"), List.of("tls.key")));

  /** The key whose value the API server parses as a JSON object, for the docker types. */
  private static final Map<String, String> JSON_OBJECT_KEY =
      Map.of(DOCKERCFG, ".dockercfg", DOCKER_CONFIG_JSON, ".dockerconfigjson");

  /** Whether the operator writes Secrets of this type. */
  public static boolean isKnown(String type) {
    return REQUIRED.containsKey(type);
  }

  /** The type of a Secret as stored: the API server reads an absent type as Opaque. */
  public static String typeOf(io.fabric8.kubernetes.api.model.Secret secret) {
    return secret.getType() == null || secret.getType().isEmpty() ? OPAQUE : secret.getType();
  }

  /**
   * The first requirement of {@code type} that none of {@code keys} meets, such as {@code
   * "tls.key"} or {@code "username or password"}.
   */
  public static Optional<String> missingKey(String type, Collection<String> keys) {
    return REQUIRED.getOrDefault(type, List.of()).stream()
        .filter(oneOf -> oneOf.stream().noneMatch(keys::contains))
        .map(oneOf -> String.join(" or ", oneOf))
        .findFirst();
  }

  /** Whether {@code key} is (one of) the keys {@code type} requires. */
  public static boolean requires(String type, String key) {
    return REQUIRED.getOrDefault(type, List.of()).stream().anyMatch(oneOf -> oneOf.contains(key));
  }

  /**
   * Why {@code data} cannot be a Secret of {@code type}, or empty when it can. The message names
   * the type and the key, never a value.
   */
  public static Optional<String> problem(
      String type, Map<String, byte[]> data, ObjectMapper mapper) {
    Optional<String> missing = missingKey(type, data.keySet());
    if (missing.isPresent()) {
      return Optional.of("a Secret of type " + type + " needs the key " + missing.get());
    }
    if (SSH_AUTH.equals(type) && data.get("ssh-privatekey").length == 0) {
      return Optional.of("a Secret of type " + type + " needs a non-empty key ssh-privatekey");
    }
    String jsonKey = JSON_OBJECT_KEY.get(type);
    if (jsonKey != null && !isJsonObject(data.get(jsonKey), mapper)) {
      return Optional.of(
          "a Secret of type " + type + " needs the key " + jsonKey + " to hold a JSON object");
    }
    return Optional.empty();
  }

  private static boolean isJsonObject(byte[] value, ObjectMapper mapper) {
    try {
      // Trailing text after the object makes it no JSON object, as for the API server.
      JsonNode node =
          mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(value);
      return node != null && node.isObject();
    } catch (IOException e) {
      return false;
    }
  }
}
