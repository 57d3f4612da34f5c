package dev.ephemeral.lambda.validation;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.core.JsonPointer;
import dev.ephemeral.lambda.customresource.RolloutRestartTarget;
import dev.ephemeral.lambda.customresource.RolloutTargetKind;
import dev.ephemeral.lambda.customresource.SecretSpec;
import dev.ephemeral.lambda.model.RestartTarget;
import dev.ephemeral.lambda.model.SecretShape;
import dev.ephemeral.lambda.model.SecretTypes;
import dev.ephemeral.lambda.secret.SecretTemplates;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The field rules of spec.secret that shape the Secret's content and metadata, as the CRD's schema
 * and CEL rules state them: the projected keys, the type and its templates, the labels, the
 * annotations and the workloads to restart. The Secret's name and ttl are checked by {@link
 * SpecValidator}, beside the fields they depend on.
 */
final class SecretSpecRules {

  /** The valid parts of spec.secret; a part with a violation is left out or empty. */
  record Checked(
      Map<String, JsonPointer> keys,
      SecretShape shape,
      Map<String, String> labels,
      Map<String, String> annotations,
      List<RestartTarget> restartTargets) {}

  private static final Pattern SECRET_NAME = Pattern.compile(SECRET_NAME_PATTERN);
  private static final Pattern SECRET_KEY = Pattern.compile(SECRET_KEY_PATTERN);
  private static final Pattern WORKLOAD_NAME = Pattern.compile(WORKLOAD_NAME_PATTERN);
  private static final Pattern JSON_POINTER = Pattern.compile(JSON_POINTER_PATTERN);
  private static final Pattern LABEL_NAME =
      Pattern.compile("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
  private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_PATTERN);

  private static final int MAX_ANNOTATIONS_BYTES = 256 * 1024;

  private final List<String> violations;
  private final UnaryOperator<String> quote;

  private SecretSpecRules(List<String> violations, UnaryOperator<String> quote) {
    this.violations = violations;
    this.quote = quote;
  }

  /**
   * Checks spec.secret; adds a violation naming the field for each broken rule, in the order keys,
   * type and template, labels, annotations, rolloutRestartTargets.
   *
   * @param quoted quotes a value of the spec in a message, cut short
   */
  static Checked check(SecretSpec secret, List<String> violations, UnaryOperator<String> quoted) {
    var rules = new SecretSpecRules(violations, quoted);
    Map<String, JsonPointer> keys = rules.keys(secret.getKeys());
    SecretShape shape = rules.shape(secret);
    Map<String, String> labels = rules.labels(secret.getLabels());
    Map<String, String> annotations = rules.annotations(secret.getAnnotations());
    List<RestartTarget> restartTargets =
        rules.rolloutRestartTargets(secret.getRolloutRestartTargets());
    rules.previousKeys(secret);
    return new Checked(keys, shape, labels, annotations, restartTargets);
  }

  private Map<String, JsonPointer> keys(Map<String, String> keys) {
    if (keys == null) {
      return Map.of();
    }
    if (keys.size() > MAX_PROJECTED_KEYS) {
      // Each key is not checked then: the message stays short however large the map.
      violations.add("spec.secret.keys: at most 64 keys, got " + keys.size());
      return Map.of();
    }
    var result = new TreeMap<String, JsonPointer>();
    keys.forEach(
        (key, pointer) -> {
          if (key == null) {
            violations.add("spec.secret.keys: a key is null");
            return;
          }
          String field = "spec.secret.keys." + key;
          if (key.equals("result") || key.equals("log_result")) {
            violations.add(field + ": the keys result and log_result are reserved");
          } else if (key.length() > SECRET_KEY_MAX_LENGTH || !SECRET_KEY.matcher(key).matches()) {
            violations.add(
                "spec.secret.keys: "
                    + quoted(key)
                    + " is not a valid Secret key ([-._a-zA-Z0-9]+, at most 253,"
                    + " not '.' and not starting with '..')");
          } else if (pointer == null) {
            violations.add(
                field + ": must be a JSON Pointer (RFC 6901) such as /api_key, got null");
          } else if (pointer.length() > JSON_POINTER_MAX_LENGTH
              || !JSON_POINTER.matcher(pointer).matches()) {
            violations.add(
                field
                    + ": must be a JSON Pointer (RFC 6901) such as /api_key, got "
                    + quoted(pointer));
          } else {
            result.put(key, JsonPointer.compile(pointer));
          }
        });
    return Collections.unmodifiableMap(result);
  }

  /**
   * secret.type and secret.template: a known type whose required keys secret.keys or
   * secret.template define, and templates under valid keys that compile.
   */
  private SecretShape shape(SecretSpec secret) {
    String type = Optional.ofNullable(secret.getType()).orElse(SecretTypes.OPAQUE);
    boolean typeKnown = SecretTypes.isKnown(type);
    if (!typeKnown) {
      violations.add(
          "spec.secret.type: must be Opaque, kubernetes.io/basic-auth, kubernetes.io/dockercfg,"
              + " kubernetes.io/dockerconfigjson, kubernetes.io/ssh-auth or kubernetes.io/tls,"
              + " got "
              + quoted(type));
    }
    Map<String, String> templates = templates(secret);
    if (typeKnown) {
      var defined = new java.util.HashSet<String>();
      if (secret.getKeys() != null) {
        defined.addAll(secret.getKeys().keySet());
      }
      if (secret.getTemplate() != null) {
        defined.addAll(secret.getTemplate().keySet());
      }
      SecretTypes.missingKey(type, defined)
          .ifPresent(
              missing ->
                  violations.add(
                      "spec.secret.type: a Secret of type "
                          + type
                          + " needs the key "
                          + missing
                          + "; define it in spec.secret.keys or spec.secret.template"));
    }
    return new SecretShape(type, templates);
  }

  /**
   * With previousValueRetention, each data key k may be kept as k.previous: no key of keys or
   * template may take that name, and each leaves room for the suffix.
   */
  private void previousKeys(SecretSpec secret) {
    if (secret.getPreviousValueRetention() == null) {
      return;
    }
    for (var named : List.of(
        Map.entry("spec.secret.keys", Optional.ofNullable(secret.getKeys()).orElse(Map.of())),
        Map.entry(
            "spec.secret.template", Optional.ofNullable(secret.getTemplate()).orElse(Map.of())))) {
      if (named.getValue().size() > MAX_PROJECTED_KEYS) {
        continue;
      }
      for (String key : named.getValue().keySet()) {
        if (key != null
            && (key.endsWith(PREVIOUS_KEY_SUFFIX) || key.length() > RETAINED_KEY_MAX_LENGTH)) {
          violations.add(
              "spec.secret.previousValueRetention: the key "
                  + quoted(key)
                  + " of "
                  + named.getKey()
                  + " must not end with "
                  + PREVIOUS_KEY_SUFFIX
                  + " and must be at most "
                  + RETAINED_KEY_MAX_LENGTH
                  + " characters (the previous value is kept as the key plus "
                  + PREVIOUS_KEY_SUFFIX
                  + ")");
        }
      }
    }
  }

  private Map<String, String> templates(SecretSpec secret) {
    Map<String, String> templates = secret.getTemplate();
    if (templates == null) {
      return Map.of();
    }
    if (templates.size() > MAX_PROJECTED_KEYS) {
      violations.add("spec.secret.template: at most 64 keys, got " + templates.size());
      return Map.of();
    }
    var result = new TreeMap<String, String>();
    templates.forEach(
        (key, template) -> {
          if (key == null) {
            violations.add("spec.secret.template: a key is null");
            return;
          }
          String field = "spec.secret.template." + key;
          if (key.equals("result") || key.equals("log_result")) {
            violations.add(field + ": the keys result and log_result are reserved");
          } else if (key.length() > SECRET_KEY_MAX_LENGTH || !SECRET_KEY.matcher(key).matches()) {
            violations.add(
                "spec.secret.template: "
                    + quoted(key)
                    + " is not a valid Secret key ([-._a-zA-Z0-9]+, at most 253,"
                    + " not '.' and not starting with '..')");
          } else if (secret.getKeys() != null && secret.getKeys().containsKey(key)) {
            violations.add(field + ": the key is also in spec.secret.keys; a key has one source");
          } else if (template == null) {
            violations.add(field + ": must be a template, got null");
          } else if (template.length() > TEMPLATE_MAX_LENGTH) {
            violations.add(
                field
                    + ": a template is at most "
                    + TEMPLATE_MAX_LENGTH
                    + " characters, got "
                    + template.length());
          } else {
            SecretTemplates.compileProblem(template)
                .ifPresentOrElse(
                    problem ->
                        violations.add(field + ": the template does not compile: " + problem),
                    () -> result.put(key, template));
          }
        });
    return Collections.unmodifiableMap(result);
  }

  private Map<String, String> labels(Map<String, String> labels) {
    if (labels == null) {
      return Map.of();
    }
    if (labels.size() > MAX_SECRET_METADATA_ENTRIES) {
      violations.add("spec.secret.labels: at most 64 labels, got " + labels.size());
      return Map.of();
    }
    var result = new TreeMap<String, String>();
    labels.forEach(
        (key, value) -> {
          if (key == null) {
            violations.add("spec.secret.labels: a key is null");
          } else if (key.equals("app.kubernetes.io/managed-by")
              || key.equals("lambda.ephemeral.dev/invocation")) {
            violations.add("spec.secret.labels: '" + key + "' is set by the operator");
          } else if (!isQualifiedName(key)) {
            violations.add("spec.secret.labels: " + quoted(key) + " is not a valid label key");
          } else if (value == null) {
            violations.add("spec.secret.labels." + key + ": must be a label value, got null");
          } else if (value.length() > LABEL_VALUE_MAX_LENGTH
              || !LABEL_VALUE.matcher(value).matches()) {
            violations.add(
                "spec.secret.labels."
                    + key
                    + ": not a valid label value (at most 63 characters, alphanumeric, '-', '_' or"
                    + " '.')");
          } else {
            result.put(key, value);
          }
        });
    return Collections.unmodifiableMap(result);
  }

  private Map<String, String> annotations(Map<String, String> annotations) {
    if (annotations == null) {
      return Map.of();
    }
    if (annotations.size() > MAX_SECRET_METADATA_ENTRIES) {
      violations.add("spec.secret.annotations: at most 64 annotations, got " + annotations.size());
      return Map.of();
    }
    var result = new TreeMap<String, String>();
    long size = 0;
    for (var entry : annotations.entrySet()) {
      String key = entry.getKey();
      String value = entry.getValue();
      if (key == null) {
        violations.add("spec.secret.annotations: a key is null");
        continue;
      }
      size += key.length() + (value == null ? 0 : value.length());
      if (key.startsWith("lambda.ephemeral.dev/")) {
        violations.add(
            "spec.secret.annotations: "
                + quoted(key)
                + " uses the operator's prefix lambda.ephemeral.dev/");
      } else if (!isQualifiedName(key)) {
        violations.add(
            "spec.secret.annotations: " + quoted(key) + " is not a valid annotation key");
      } else if (value == null) {
        violations.add("spec.secret.annotations." + key + ": must be a string, got null");
      } else {
        result.put(key, value);
      }
    }
    if (size > MAX_ANNOTATIONS_BYTES) {
      violations.add("spec.secret.annotations: at most 256 KiB in total");
    }
    return Collections.unmodifiableMap(result);
  }

  private List<RestartTarget> rolloutRestartTargets(List<RolloutRestartTarget> targets) {
    if (targets == null) {
      return List.of();
    }
    String field = "spec.secret.rolloutRestartTargets";
    if (targets.size() > MAX_ROLLOUT_RESTART_TARGETS) {
      violations.add(
          field + ": at most " + MAX_ROLLOUT_RESTART_TARGETS + " targets, got " + targets.size());
      return List.of();
    }
    // A workload listed twice is restarted once.
    var result = new LinkedHashSet<RestartTarget>();
    for (int i = 0; i < targets.size(); i++) {
      RolloutRestartTarget target = targets.get(i);
      String item = field + "[" + i + "]";
      if (target == null) {
        violations.add(item + ": must be an object with kind and name, got null");
        continue;
      }
      RolloutTargetKind kind = null;
      if (target.getKind() == null) {
        violations.add(item + ".kind: required (Deployment, StatefulSet or DaemonSet)");
      } else {
        try {
          kind = RolloutTargetKind.valueOf(target.getKind());
        } catch (IllegalArgumentException e) {
          violations.add(
              item
                  + ".kind: must be Deployment, StatefulSet or DaemonSet, got "
                  + quoted(target.getKind()));
        }
      }
      String name = target.getName();
      if (name == null) {
        violations.add(item + ".name: required");
      } else if (name.isEmpty()
          || name.length() > WORKLOAD_NAME_MAX_LENGTH
          || !WORKLOAD_NAME.matcher(name).matches()) {
        violations.add(
            item
                + ".name: must be a workload name (lowercase DNS subdomain, at most 253"
                + " characters), got "
                + quoted(name));
      } else if (kind != null) {
        result.add(new RestartTarget(kind, name));
      }
    }
    return List.copyOf(result);
  }

  /**
   * A Kubernetes qualified name: an optional DNS subdomain prefix and '/', then a 63-character
   * name.
   */
  private static boolean isQualifiedName(String key) {
    String name = key;
    int slash = key.indexOf('/');
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      name = key.substring(slash + 1);
      if (prefix.isEmpty() || prefix.length() > 253 || !SECRET_NAME.matcher(prefix).matches()) {
        return false;
      }
    }
    return !name.isEmpty() && name.length() <= 63 && LABEL_NAME.matcher(name).matches();
  }

  private String quoted(String value) {
    return quote.apply(value);
  }
}
