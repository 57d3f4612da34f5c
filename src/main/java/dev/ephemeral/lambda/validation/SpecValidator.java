package dev.ephemeral.lambda.validation;

import static dev.ephemeral.lambda.validation.SpecRules.*;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.customresource.SecretSpec;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Checks a LambdaInvocation against DESIGN.md's field rules: the same rules the CRD enforces at
 * admission, checked again because a cluster may run without them (or an older CRD). Messages name
 * the field and the rule, and quote no payload.
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
  private static final Pattern SECRET_NAME = Pattern.compile(SECRET_NAME_PATTERN);
  private static final Pattern SECRET_KEY = Pattern.compile(SECRET_KEY_PATTERN);
  private static final Pattern JSON_POINTER = Pattern.compile(JSON_POINTER_PATTERN);
  private static final Pattern LABEL_NAME =
      Pattern.compile("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
  private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_PATTERN);

  private static final Duration MIN_DURATION = Duration.ofSeconds(1);
  private static final Duration MAX_TIMEOUT = Duration.ofMinutes(15);
  private static final int MAX_ANNOTATIONS_BYTES = 256 * 1024;

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
    String name = resource.getMetadata().getName();
    if (name != null && name.length() > MAX_NAME_LENGTH) {
      violations.add(
          "metadata.name: must be at most 63 characters (it becomes the value of the Secret's label"
              + " lambda.ephemeral.dev/invocation), got " + name.length());
    }

    String functionName = spec.getFunctionName();
    checkFunctionName(functionName, violations);
    String qualifier = spec.getQualifier();
    checkQualifier(functionName, qualifier, violations);

    String region = spec.getRegion();
    if (region != null
        && (region.length() > REGION_MAX_LENGTH || !REGION.matcher(region).matches())) {
      violations.add(
          "spec.region: must be an AWS region name such as eu-west-1, got '" + region + "'");
    }

    byte[] payload = serializePayload(spec, violations);

    String clientContext = spec.getClientContext();
    checkClientContext(clientContext, violations);

    String logType = spec.getLogType();
    if (logType != null && !logType.equals("None") && !logType.equals("Tail")) {
      violations.add("spec.logType: must be None or Tail, got '" + logType + "'");
    }

    String invokePolicy = spec.getInvokePolicy();
    InvokePolicy policy = InvokePolicy.DEFAULT;
    if (invokePolicy != null) {
      try {
        policy = InvokePolicy.valueOf(invokePolicy);
      } catch (IllegalArgumentException e) {
        violations.add(
            "spec.invokePolicy: must be EveryReconcile or OnChange, got '" + invokePolicy + "'");
      }
    }

    Duration timeout =
        duration("spec.timeout", spec.getTimeout(), violations)
            .orElse(InvocationPlan.DEFAULT_TIMEOUT);
    if (timeout.compareTo(MIN_DURATION) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
      violations.add("spec.timeout: must be between 1s and 15m, got '" + spec.getTimeout() + "'");
    }
    Optional<Duration> refresh =
        duration("spec.refreshInterval", spec.getRefreshInterval(), violations);
    refresh
        .filter(d -> d.compareTo(MIN_DURATION) < 0)
        .ifPresent(
            d ->
                violations.add(
                    "spec.refreshInterval: must be at least 1s, got '"
                        + spec.getRefreshInterval()
                        + "'"));

    var secret = Optional.ofNullable(spec.getSecret()).orElseGet(SecretSpec::new);
    String secretName =
        Optional.ofNullable(secret.getName()).orElse(resource.getMetadata().getName());
    if (secret.getName() != null
        && (secretName.length() > SECRET_NAME_MAX_LENGTH
            || !SECRET_NAME.matcher(secretName).matches())) {
      violations.add(
          "spec.secret.name: must be a valid Secret name (lowercase DNS subdomain, at most 253"
              + " characters), got '"
              + secretName
              + "'");
    }
    Optional<Duration> ttl = duration("spec.secret.ttl", secret.getTtl(), violations);
    ttl.filter(d -> d.compareTo(MIN_DURATION) < 0)
        .ifPresent(
            d ->
                violations.add(
                    "spec.secret.ttl: must be at least 1s, got '" + secret.getTtl() + "'"));

    Map<String, JsonPointer> keys = secretKeys(secret.getKeys(), violations);
    Map<String, String> labels = labels(secret.getLabels(), violations);
    Map<String, String> annotations = annotations(secret.getAnnotations(), violations);

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
            policy));
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
              + " (123456789012:function:name) or full ARN, got '"
              + functionName
              + "'");
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
              + " got '"
              + qualifier
              + "'");
    } else if (functionName != null
        && QUALIFIED_FUNCTION_NAME.matcher(functionName).matches()
        && !functionName.endsWith(":" + qualifier)) {
      violations.add(
          "spec.qualifier: '" + qualifier + "' contradicts the qualifier in spec.functionName");
    }
  }

  private byte[] serializePayload(LambdaInvocationSpec spec, List<String> violations) {
    if (spec.getPayload() == null || spec.getPayload().isMissingNode()) {
      violations.add("spec.payload: required (any JSON value)");
      return new byte[0];
    }
    try {
      byte[] bytes = mapper.writeValueAsBytes(spec.getPayload());
      if (bytes.length > PAYLOAD_MAX_BYTES) {
        violations.add(
            "spec.payload: serialized it must be at most 6291456 bytes, got " + bytes.length);
      }
      return bytes;
    } catch (JsonProcessingException e) {
      violations.add("spec.payload: cannot be serialized as JSON");
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
    try {
      Base64.getDecoder().decode(clientContext);
    } catch (IllegalArgumentException e) {
      violations.add("spec.clientContext: must be standard base64");
    }
  }

  private static Optional<Duration> duration(String field, String value, List<String> violations) {
    if (value == null) {
      return Optional.empty();
    }
    if (value.length() > DURATION_MAX_LENGTH || !DURATION.matcher(value).matches()) {
      violations.add(field + ": must be a duration such as 90s, 10m or 1h30m, got '" + value + "'");
      return Optional.empty();
    }
    try {
      return Optional.of(io.fabric8.kubernetes.api.model.Duration.parse(value).getDuration());
    } catch (ParseException | ArithmeticException e) {
      violations.add(field + ": must be a duration such as 90s, 10m or 1h30m, got '" + value + "'");
      return Optional.empty();
    }
  }

  private static Map<String, JsonPointer> secretKeys(
      Map<String, String> keys, List<String> violations) {
    if (keys == null) {
      return Map.of();
    }
    if (keys.size() > MAX_PROJECTED_KEYS) {
      violations.add("spec.secret.keys: at most 64 keys, got " + keys.size());
    }
    var result = new TreeMap<String, JsonPointer>();
    keys.forEach(
        (key, pointer) -> {
          String field = "spec.secret.keys." + key;
          if (key.equals("result") || key.equals("log_result")) {
            violations.add(field + ": the keys result and log_result are reserved");
          } else if (key.length() > SECRET_KEY_MAX_LENGTH || !SECRET_KEY.matcher(key).matches()) {
            violations.add(
                "spec.secret.keys: '"
                    + key
                    + "' is not a valid Secret key ([-._a-zA-Z0-9]+, at most 253,"
                    + " not '.' and not starting with '..')");
          } else if (pointer == null
              || pointer.length() > JSON_POINTER_MAX_LENGTH
              || !JSON_POINTER.matcher(pointer).matches()) {
            violations.add(
                field
                    + ": must be a JSON Pointer (RFC 6901) such as /api_key, got '"
                    + pointer
                    + "'");
          } else {
            result.put(key, JsonPointer.compile(pointer));
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
    }
    labels.forEach(
        (key, value) -> {
          if (key.equals("app.kubernetes.io/managed-by")
              || key.equals("lambda.ephemeral.dev/invocation")) {
            violations.add("spec.secret.labels: '" + key + "' is set by the operator");
          } else if (!isQualifiedName(key)) {
            violations.add("spec.secret.labels: '" + key + "' is not a valid label key");
          } else if (value == null
              || value.length() > LABEL_VALUE_MAX_LENGTH
              || !LABEL_VALUE.matcher(value).matches()) {
            violations.add(
                "spec.secret.labels."
                    + key
                    + ": not a valid label value (at most 63 characters, alphanumeric, '-', '_' or"
                    + " '.')");
          }
        });
    return new TreeMap<>(labels);
  }

  private static Map<String, String> annotations(
      Map<String, String> annotations, List<String> violations) {
    if (annotations == null) {
      return Map.of();
    }
    if (annotations.size() > MAX_SECRET_METADATA_ENTRIES) {
      violations.add("spec.secret.annotations: at most 64 annotations, got " + annotations.size());
    }
    long size = 0;
    for (var entry : annotations.entrySet()) {
      String key = entry.getKey();
      size += key.length() + (entry.getValue() == null ? 0 : entry.getValue().length());
      if (key.startsWith("lambda.ephemeral.dev/")) {
        violations.add(
            "spec.secret.annotations: '"
                + key
                + "' uses the operator's prefix lambda.ephemeral.dev/");
      } else if (!isQualifiedName(key)) {
        violations.add("spec.secret.annotations: '" + key + "' is not a valid annotation key");
      }
    }
    if (size > MAX_ANNOTATIONS_BYTES) {
      violations.add("spec.secret.annotations: at most 256 KiB in total");
    }
    return new TreeMap<>(annotations);
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
