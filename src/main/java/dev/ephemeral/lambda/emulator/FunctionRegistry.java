package dev.ephemeral.lambda.emulator;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** The emulated functions with their published versions and aliases. */
final class FunctionRegistry {

  static final String LATEST = "$LATEST";

  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]*");
  private static final Pattern ALIAS = Pattern.compile("(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}");

  private final Map<String, LambdaFunction> functions = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> versions = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> aliases = new ConcurrentHashMap<>();

  void register(String name, LambdaFunction function) {
    Objects.requireNonNull(function, "function");
    requireName(name);
    functions.put(name, function);
  }

  void declareVersion(String name, String version) {
    requireName(name);
    if (version == null || !VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException(
          "a published version is a positive number, was " + version);
    }
    versions.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(version);
  }

  void declareAlias(String name, String alias, String version) {
    requireName(name);
    if (alias == null || !ALIAS.matcher(alias).matches()) {
      throw new IllegalArgumentException(
          "an alias is 1 to 128 of [a-zA-Z0-9_-] and not a number, was " + alias);
    }
    if (!LATEST.equals(version) && !versions.getOrDefault(name, Set.of()).contains(version)) {
      throw new IllegalArgumentException(
          "alias "
              + alias
              + " of "
              + name
              + " points to version "
              + version
              + ", which is not declared");
    }
    aliases.computeIfAbsent(name, n -> new ConcurrentHashMap<>()).put(alias, version);
  }

  Optional<LambdaFunction> function(String name) {
    return Optional.ofNullable(functions.get(name));
  }

  /**
   * The version a qualifier runs: {@code $LATEST} for none, the version itself, or an alias's
   * version.
   */
  Optional<String> executedVersion(String name, String qualifier) {
    if (qualifier == null || LATEST.equals(qualifier)) {
      return Optional.of(LATEST);
    }
    if (versions.getOrDefault(name, Set.of()).contains(qualifier)) {
      return Optional.of(qualifier);
    }
    return Optional.ofNullable(aliases.getOrDefault(name, Map.of()).get(qualifier));
  }

  private static void requireName(String name) {
    if (name == null
        || FunctionReference.parse(name).filter(r -> r.name().equals(name)).isEmpty()) {
      throw new IllegalArgumentException("not a plain function name: " + name);
    }
  }
}
