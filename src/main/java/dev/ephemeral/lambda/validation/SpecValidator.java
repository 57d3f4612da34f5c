package dev.ephemeral.lambda.validation;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.json.JsonText;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.customresource.RolloutRestartTarget;
import dev.ephemeral.lambda.customresource.RolloutTargetKind;
import dev.ephemeral.lambda.customresource.SecretSpec;
import dev.ephemeral.lambda.customresource.SpecRules;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.PayloadSource;
import dev.ephemeral.lambda.model.RestartTarget;
import dev.ephemeral.lambda.model.SecretShape;
import dev.ephemeral.lambda.model.SecretTypes;
import dev.ephemeral.lambda.secret.SecretTemplates;
import java.io.IOException;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Checks a LambdaInvocation against its field rules: the same rules the CRD enforces at admission,
 * checked again because a cluster may run without them (or an older CRD), and because the sandbox
 * reads files no API server checked. Whatever the input, the answer is a plan or a list of
 * violations, never an exception. Messages name the field and the rule; they quote no payload and
 * no clientContext, and at most {@value #MAX_QUOTED_LENGTH} characters of any other value.
 */
public final class SpecValidator {

  /** The outcome: a plan to act on, or the list of violations. */
  public sealed interface Result permits Valid, Invalid {}

  public record Valid(InvocationPlan plan) implements Result {}

  public record Invalid(List<String> violations) implements Result {
    public String message() {
      return String.join("; ", violations);
    }
  }

  private static final Pattern FUNCTION_NAME = Pattern.compile(FUNCTION_NAME_PATTERN);
  private static final Pattern FUNCTION_NAME_PART = Pattern.compile(FUNCTION_NAME_PART_PATTERN);
  private static final Pattern QUALIFIED_FUNCTION_NAME =
      Pattern.compile(QUALIFIED_FUNCTION_NAME_PATTERN);
  private static final Pattern QUALIFIER = Pattern.compile(QUALIFIER_PATTERN);
  private static final Pattern REGION = Pattern.compile(REGION_PATTERN);
  private static final Pattern BASE64 = Pattern.compile(BASE64_PATTERN);
  private static final Pattern DURATION = Pattern.compile(DURATION_PATTERN);
  private static final Pattern DURATION_IN_RANGE = Pattern.compile(DURATION_IN_RANGE_PATTERN);
  private static final Pattern SECRET_NAME = Pattern.compile(SECRET_NAME_PATTERN);
  private static final Pattern SECRET_KEY = Pattern.compile(SECRET_KEY_PATTERN);
  private static final Pattern WORKLOAD_NAME = Pattern.compile(WORKLOAD_NAME_PATTERN);
  private static final Pattern JSON_POINTER = Pattern.compile(JSON_POINTER_PATTERN);
  private static final Pattern LABEL_NAME =
      Pattern.compile("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
  private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_PATTERN);

  private static final Duration MIN_DURATION = Duration.ofSeconds(1);

  private static final Duration LONGEST_TIMEOUT = parseRule(MAX_TIMEOUT);
  private static final Duration LONGEST_INTERVAL = parseRule(MAX_INTERVAL);

  private static final String TIMEOUT_RANGE = "between 1s and " + MAX_TIMEOUT;
  private static final String INTERVAL_RANGE = "between 1s and " + MAX_INTERVAL + " (365 days)";
  private static final int MAX_ANNOTATIONS_BYTES = 256 * 1024;

  /** Longer values are cut short where a message quotes them. */
  static final int MAX_QUOTED_LENGTH = 64;

  /** The name is a label value on the Secret. */
  private static final int MAX_NAME_LENGTH = 63;

  private final ObjectMapper mapper;

  public SpecValidator(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  public Result validate(LambdaInvocation resource) {
    var spec = resource.getSpec();
    if (spec == null) {
      return new Invalid(List.of("spec: required"));
    }
    if (spec.getUnreadable() != null) {
      return new Invalid(List.of(spec.getUnreadable()));
    }
    var violations = new ArrayList<String>();
    String name = resource.getMetadata() == null ? null : resource.getMetadata().getName();
    if (name == null || name.isEmpty()) {
      violations.add("metadata.name: required");
    } else if (name.length() > MAX_NAME_LENGTH) {
      violations.add(
          "metadata.name: must be at most 63 characters (it becomes the value of the Secret's label"
              + " lambda.ephemeral.dev/invocation), got "
              + name.length());
    }

    String functionName = spec.getFunctionName();
    checkFunctionName(functionName, violations);
    String qualifier = spec.getQualifier();
    checkQualifier(functionName, qualifier, violations);

    String region = spec.getRegion();
    if (region != null
        && (region.length() > REGION_MAX_LENGTH || !REGION.matcher(region).matches())) {
      violations.add(
          "spec.region: must be an AWS region name such as eu-west-1, got " + quoted(region));
    }

    byte[] payload = serializePayload("spec.payload", spec.getPayload(), violations);
    Optional<byte[]> onDeletePayload =
        Optional.ofNullable(spec.getOnDelete())
            .map(
                onDelete ->
                    serializePayload("spec.onDelete.payload", onDelete.getPayload(), violations));
    List<PayloadSource> payloadFrom =
        PayloadFromRules.check(spec.getPayloadFrom(), violations, SpecValidator::quoted);

    String clientContext = spec.getClientContext();
    checkClientContext(clientContext, violations);

    String logType = spec.getLogType();
    if (logType != null && !logType.equals("None") && !logType.equals("Tail")) {
      violations.add("spec.logType: must be None or Tail, got " + quoted(logType));
    }

    String invokePolicy = spec.getInvokePolicy();
    InvokePolicy policy = InvokePolicy.DEFAULT;
    if (invokePolicy != null) {
      try {
        policy = InvokePolicy.valueOf(invokePolicy);
      } catch (IllegalArgumentException e) {
        violations.add(
            "spec.invokePolicy: must be EveryReconcile or OnChange, got " + quoted(invokePolicy));
      }
    }

    Duration timeout =
        duration("spec.timeout", spec.getTimeout(), LONGEST_TIMEOUT, TIMEOUT_RANGE, violations)
            .orElse(InvocationPlan.DEFAULT_TIMEOUT);
    Optional<Duration> refresh =
        duration(
            "spec.refreshInterval",
            spec.getRefreshInterval(),
            LONGEST_INTERVAL,
            INTERVAL_RANGE,
            violations);

    var secret = Optional.ofNullable(spec.getSecret()).orElseGet(SecretSpec::new);
    String secretName = Optional.ofNullable(secret.getName()).orElse(name);
    if (secret.getName() != null
        && (secretName.length() > SECRET_NAME_MAX_LENGTH
            || !SECRET_NAME.matcher(secretName).matches())) {
      violations.add(
          "spec.secret.name: must be a valid Secret name (lowercase DNS subdomain, at most 253"
              + " characters), got "
              + quoted(secretName));
    }
    for (PayloadSource source : payloadFrom) {
      if (source.kind() == PayloadSource.Kind.Secret && source.name().equals(secretName)) {
        // Each result would be a change of this input, and so another invocation, without end.
        violations.add(
            source.field()
                + ".secretKeyRef.name: must not be this resource's own result Secret "
                + quoted(secretName)
                + " (each result would invoke again)");
      }
    }
    Optional<Duration> ttl =
        duration("spec.secret.ttl", secret.getTtl(), LONGEST_INTERVAL, INTERVAL_RANGE, violations);

    Map<String, JsonPointer> keys = secretKeys(secret.getKeys(), violations);
    SecretShape shape = secretShape(secret, violations);
    Map<String, String> labels = labels(secret.getLabels(), violations);
    Map<String, String> annotations = annotations(secret.getAnnotations(), violations);
    List<RestartTarget> restartTargets =
        rolloutRestartTargets(secret.getRolloutRestartTargets(), violations);

    if (!violations.isEmpty()) {
      return new Invalid(List.copyOf(violations));
    }
    return new Valid(
        new InvocationPlan(
            functionName,
            qualifier,
            region,
            payload,
            clientContext,
            "Tail".equals(logType),
            timeout,
            refresh,
            secretName,
            ttl,
            keys,
            labels,
            annotations,
            policy,
            restartTargets,
            onDeletePayload,
            shape,
            payloadFrom,
            null));
  }

  private static void checkFunctionName(String functionName, List<String> violations) {
    if (functionName == null || functionName.isEmpty()) {
      violations.add("spec.functionName: required");
    } else if (functionName.length() > FUNCTION_NAME_MAX_LENGTH) {
      violations.add(
          "spec.functionName: must be at most 170 characters, got " + functionName.length());
    } else if (!FUNCTION_NAME.matcher(functionName).matches()) {
      violations.add(
          "spec.functionName: must be a function name, name:qualifier, partial ARN"
              + " (123456789012:function:name) or full ARN, got "
              + quoted(functionName));
    } else if (!FUNCTION_NAME_PART.matcher(functionName).matches()) {
      violations.add("spec.functionName: the function name part must be at most 64 characters");
    }
  }

  private static void checkQualifier(
      String functionName, String qualifier, List<String> violations) {
    if (qualifier == null) {
      return;
    }
    if (qualifier.isEmpty()
        || qualifier.length() > QUALIFIER_MAX_LENGTH
        || !QUALIFIER.matcher(qualifier).matches()) {
      violations.add(
          "spec.qualifier: must be a version or alias of 1 to 128 characters from [a-zA-Z0-9$_-],"
              + " got "
              + quoted(qualifier));
    } else if (functionName != null
        && functionName.length() <= FUNCTION_NAME_MAX_LENGTH
        && QUALIFIED_FUNCTION_NAME.matcher(functionName).matches()
        && !functionName.endsWith(":" + qualifier)) {
      violations.add(
          "spec.qualifier: "
              + quoted(qualifier)
              + " contradicts the qualifier in spec.functionName");
    }
  }

  private byte[] serializePayload(String field, JsonNode value, List<String> violations) {
    if (value == null || value.isMissingNode()) {
      violations.add(field + ": required (any JSON value)");
      return new byte[0];
    }
    if (value.isNull()) {
      // An API server drops a null field, so on a cluster this is the same as no payload.
      violations.add(field + ": required (any JSON value), got null");
      return new byte[0];
    }
    try {
      byte[] bytes = JsonText.write(value, mapper);
      if (bytes.length > PAYLOAD_MAX_BYTES) {
        violations.add(
            field + ": serialized it must be at most 6291456 bytes, got " + bytes.length);
      }
      return bytes;
    } catch (IOException e) {
      violations.add(field + ": cannot be serialized as JSON");
      return new byte[0];
    }
  }

  private static void checkClientContext(String clientContext, List<String> violations) {
    if (clientContext == null) {
      return;
    }
    if (clientContext.isEmpty() || clientContext.length() > CLIENT_CONTEXT_MAX_LENGTH) {
      violations.add(
          "spec.clientContext: must be 1 to 3583 characters of base64, got "
              + clientContext.length());
      return;
    }
    if (!BASE64.matcher(clientContext).matches()) {
      violations.add(
          "spec.clientContext: must be standard base64 (A-Z a-z 0-9 + / with = padding)");
      return;
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(clientContext);
    } catch (IllegalArgumentException e) {
      violations.add("spec.clientContext: must be standard base64");
      return;
    }
    // Lambda refuses a client context that is not a JSON object, after the call was made.
    if (!JsonText.isObject(decoded)) {
      violations.add(
          "spec.clientContext: must be standard base64 of a JSON object (such as e30= for {}),"
              + " and it decodes to something else");
    }
  }

  /**
   * Parses a duration and checks that it lies between 1s and {@code longest}; reports at most one
   * violation for the field.
   */
  private static Optional<Duration> duration(
      String field, String value, Duration longest, String range, List<String> violations) {
    if (value == null) {
      return Optional.empty();
    }
    if (value.length() > DURATION_MAX_LENGTH || !DURATION.matcher(value).matches()) {
      violations.add(
          field
              + ": must be a duration such as 90s, 10m or 1h30m (at most 32 characters), got "
              + quoted(value));
      return Optional.empty();
    }
    // As in the CRD's rules: a part this large is out of range, and would overflow the parsers.
    if (!DURATION_IN_RANGE.matcher(value).matches()) {
      violations.add(field + ": must be " + range + ", got " + quoted(value));
      return Optional.empty();
    }
    Duration duration;
    try {
      duration = io.fabric8.kubernetes.api.model.Duration.parse(value).getDuration();
    } catch (ParseException e) {
      violations.add(
          field + ": must be a duration such as 90s, 10m or 1h30m, got " + quoted(value));
      return Optional.empty();
    }
    if (duration.compareTo(MIN_DURATION) < 0 || duration.compareTo(longest) > 0) {
      violations.add(field + ": must be " + range + ", got " + quoted(value));
      return Optional.empty();
    }
    return Optional.of(duration);
  }

  private static Map<String, JsonPointer> secretKeys(
      Map<String, String> keys, List<String> violations) {
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
  private static SecretShape secretShape(SecretSpec secret, List<String> violations) {
    String type = Optional.ofNullable(secret.getType()).orElse(SecretTypes.OPAQUE);
    boolean typeKnown = SecretTypes.isKnown(type);
    if (!typeKnown) {
      violations.add(
          "spec.secret.type: must be Opaque, kubernetes.io/basic-auth, kubernetes.io/dockercfg,"
              + " kubernetes.io/dockerconfigjson, kubernetes.io/ssh-auth or kubernetes.io/tls,"
              + " got "
              + quoted(type));
    }
    Map<String, String> templates = secretTemplates(secret, violations);
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

  private static Map<String, String> secretTemplates(SecretSpec secret, List<String> violations) {
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

  private static Map<String, String> labels(Map<String, String> labels, List<String> violations) {
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

  private static Map<String, String> annotations(
      Map<String, String> annotations, List<String> violations) {
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

  private static List<RestartTarget> rolloutRestartTargets(
      List<RolloutRestartTarget> targets, List<String> violations) {
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

  /** A duration of {@link SpecRules}. */
  private static Duration parseRule(String duration) {
    try {
      return io.fabric8.kubernetes.api.model.Duration.parse(duration).getDuration();
    } catch (ParseException e) {
      throw new IllegalStateException("not a duration: " + duration, e);
    }
  }

  /**
   * The value in single quotes; a longer one is cut to its first {@value #MAX_QUOTED_LENGTH}
   * characters, and its length is said.
   */
  private static String quoted(String value) {
    if (value.length() <= MAX_QUOTED_LENGTH) {
      return "'" + value + "'";
    }
    int end = MAX_QUOTED_LENGTH;
    if (Character.isHighSurrogate(value.charAt(end - 1))) {
      end--;
    }
    return "'" + value.substring(0, end) + "…' (" + value.length() + " characters)";
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
}
