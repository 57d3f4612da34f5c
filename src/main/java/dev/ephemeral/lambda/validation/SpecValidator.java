package dev.ephemeral.lambda.validation;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.json.JsonText;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.customresource.SecretSpec;
import dev.ephemeral.lambda.customresource.SpecRules;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.PayloadSource;
import dev.ephemeral.lambda.model.SuccessCheck;
import java.io.IOException;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
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

  private static final Duration MIN_DURATION = Duration.ofSeconds(1);

  private static final Duration LONGEST_TIMEOUT = parseRule(MAX_TIMEOUT);
  private static final Duration LONGEST_INTERVAL = parseRule(MAX_INTERVAL);

  private static final String TIMEOUT_RANGE = "between 1s and " + MAX_TIMEOUT;
  private static final String INTERVAL_RANGE = "between 1s and " + MAX_INTERVAL + " (365 days)";

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

    Optional<Duration> previousValueRetention =
        duration(
            "spec.secret.previousValueRetention",
            secret.getPreviousValueRetention(),
            LONGEST_INTERVAL,
            INTERVAL_RANGE,
            violations);

    SecretSpecRules.Checked checked =
        SecretSpecRules.check(secret, violations, SpecValidator::quoted);
    Optional<SuccessCheck> successCheck =
        SuccessConditionRules.check(spec.getSuccessCondition(), violations);

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
            checked.keys(),
            checked.labels(),
            checked.annotations(),
            policy,
            checked.restartTargets(),
            onDeletePayload,
            checked.shape(),
            payloadFrom,
            null,
            successCheck,
            previousValueRetention));
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

}
