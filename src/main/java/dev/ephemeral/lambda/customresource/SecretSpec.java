package dev.ephemeral.lambda.customresource;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/** Where and for how long the result is kept. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = SECRET_TYPE_KEYS_RULE,
    message =
        "secret.keys or secret.template must define the keys secret.type requires"
            + " (basic-auth: username or password; dockercfg: .dockercfg; dockerconfigjson:"
            + " .dockerconfigjson; ssh-auth: ssh-privatekey; tls: tls.crt and tls.key)",
    fieldPath = ".type")
@ValidationRule(
    value = PREVIOUS_KEYS_RULE,
    message =
        "with secret.previousValueRetention, a key of secret.keys or secret.template must not end"
            + " with .previous and must be at most 244 characters",
    fieldPath = ".previousValueRetention")
@ValidationRule(
    value = KEYS_XOR_TEMPLATE_RULE,
    message = "a Secret key must not be named both in secret.keys and in secret.template",
    fieldPath = ".template")
public class SecretSpec {

  @Size(min = 1, max = SECRET_NAME_MAX_LENGTH)
  @Pattern(SECRET_NAME_PATTERN)
  @JsonPropertyDescription("Name of the Secret. Default: the LambdaInvocation's name.")
  private String name;

  @Size(max = DURATION_MAX_LENGTH)
  @Pattern(DURATION_PATTERN)
  @ValidationRule(
      value = INTERVAL_RULE,
      message = "secret.ttl must be between 1s and 8760h (365 days)")
  @JsonPropertyDescription(
      "Delete the Secret this long after the invocation that wrote it (such as 1h), unless a newer"
          + " invocation replaced it first. From 1s to 8760h (365 days). Absent means the Secret"
          + " lives as long as the LambdaInvocation.")
  private String ttl;

  @Size(max = DURATION_MAX_LENGTH)
  @Pattern(DURATION_PATTERN)
  @ValidationRule(
      value = INTERVAL_RULE,
      message = "secret.previousValueRetention must be between 1s and 8760h (365 days)")
  @JsonPropertyDescription(
      "Rotation with overlap: when a new result replaces the Secret's data, keep each previous"
          + " data key k as k.previous for this long (such as 1h), so consumers can accept both"
          + " values meanwhile. The previous keys are dropped when the time is up (annotation"
          + " lambda.ephemeral.dev/previous-expires-at) or at the next rotation; dropping them"
          + " restarts no workload. From 1s to 8760h. Absent means no previous values are kept.")
  private String previousValueRetention;

  @Size(max = MAX_PROJECTED_KEYS)
  @ValidationRule(
      value = RESERVED_KEYS_RULE,
      message = "secret.keys must not name the keys result or log_result")
  @ValidationRule(
      value = SECRET_KEY_NAMES_RULE,
      message =
          "secret.keys: every key must be a valid Secret data key ([-._a-zA-Z0-9]+, at most 253"
              + " characters, not '.' and not starting with '..')")
  @JsonPropertyDescription(
      "Extra Secret keys taken from a JSON result: Secret data key -> JSON Pointer (RFC 6901),"
          + " such as api_key: /api_key. A string is written as its text, any other value as JSON."
          + " A pointer that does not resolve leaves Ready=False, reason ResultKeyMissing.")
  private Map<String, @Size(max = JSON_POINTER_MAX_LENGTH) @Pattern(JSON_POINTER_PATTERN) String>
      keys;

  @Size(max = SECRET_TYPE_MAX_LENGTH)
  @Pattern(SECRET_TYPE_PATTERN)
  @JsonPropertyDescription(
      "Type of the Secret: Opaque (default), kubernetes.io/basic-auth, kubernetes.io/dockercfg,"
          + " kubernetes.io/dockerconfigjson, kubernetes.io/ssh-auth or kubernetes.io/tls. The"
          + " keys the type requires must come from keys or template; they are checked before"
          + " the Secret is written. Changing the type replaces the Secret (delete, then create).")
  private String type;

  @Size(max = MAX_PROJECTED_KEYS)
  @ValidationRule(
      value = RESERVED_KEYS_RULE,
      message = "secret.template must not name the keys result or log_result")
  @ValidationRule(
      value = SECRET_KEY_NAMES_RULE,
      message =
          "secret.template: every key must be a valid Secret data key ([-._a-zA-Z0-9]+, at most"
              + " 253 characters, not '.' and not starting with '..')")
  @JsonPropertyDescription(
      "Extra Secret keys rendered from a JSON result: Secret data key -> template (Pebble, a"
          + " Jinja-like syntax; the parsed result is the variable result), such as"
          + " '{{ result.user }}:{{ result.password }}'. Only output, if, filters and comparisons"
          + " are allowed. A key must not also be in keys. A template that refers to what the"
          + " result lacks leaves Ready=False, reason ResultKeyMissing, and nothing is written.")
  private Map<String, @Size(max = TEMPLATE_MAX_LENGTH) String> template;

  @Size(max = MAX_SECRET_METADATA_ENTRIES)
  @ValidationRule(
      value = RESERVED_LABELS_RULE,
      message = "secret.labels must not set the operator's own labels")
  @ValidationRule(
      value = QUALIFIED_NAME_KEYS_RULE,
      message = "secret.labels: every key must be a valid label key ([prefix/]name)")
  @JsonPropertyDescription("Labels copied onto the Secret.")
  private Map<String, @Size(max = LABEL_VALUE_MAX_LENGTH) @Pattern(LABEL_VALUE_PATTERN) String>
      labels;

  @Size(max = MAX_SECRET_METADATA_ENTRIES)
  @ValidationRule(
      value = RESERVED_ANNOTATIONS_RULE,
      message = "secret.annotations must not use the operator's prefix lambda.ephemeral.dev/")
  @ValidationRule(
      value = QUALIFIED_NAME_KEYS_RULE,
      message = "secret.annotations: every key must be a valid annotation key ([prefix/]name)")
  @JsonPropertyDescription("Annotations copied onto the Secret.")
  private Map<String, String> annotations;

  @Size(max = MAX_ROLLOUT_RESTART_TARGETS)
  @JsonPropertyDescription(
      "Workloads (apps/v1 Deployment, StatefulSet or DaemonSet, in this namespace) whose pods are"
          + " restarted, as kubectl rollout restart does, each time the Secret's data changes: when"
          + " it is created, or an invocation writes data different from before; not when a refresh"
          + " returns the same data. The operator sets the pod template annotation"
          + " lambda.ephemeral.dev/restartedAt to the time of the restart. At most 32; a workload"
          + " listed twice is restarted once.")
  private List<RolloutRestartTarget> rolloutRestartTargets;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getTtl() {
    return ttl;
  }

  public void setTtl(String ttl) {
    this.ttl = ttl;
  }

  public String getPreviousValueRetention() {
    return previousValueRetention;
  }

  public void setPreviousValueRetention(String previousValueRetention) {
    this.previousValueRetention = previousValueRetention;
  }

  public Map<String, String> getKeys() {
    return keys;
  }

  public void setKeys(Map<String, String> keys) {
    this.keys = keys;
  }

  public String getType() {
    return type;
  }

  public void setType(String type) {
    this.type = type;
  }

  public Map<String, String> getTemplate() {
    return template;
  }

  public void setTemplate(Map<String, String> template) {
    this.template = template;
  }

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }

  public Map<String, String> getAnnotations() {
    return annotations;
  }

  public void setAnnotations(Map<String, String> annotations) {
    this.annotations = annotations;
  }

  public List<RolloutRestartTarget> getRolloutRestartTargets() {
    return rolloutRestartTargets;
  }

  public void setRolloutRestartTargets(List<RolloutRestartTarget> rolloutRestartTargets) {
    this.rolloutRestartTargets = rolloutRestartTargets;
  }
}
