package dev.ephemeral.lambda.customresource;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * What to invoke and where the result goes. Every field is a plain string or JSON value: the
 * operator validates it itself (see {@code SpecValidator}) so a bad value is a condition, not a
 * deserialization failure.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = QUALIFIER_CONSISTENCY_RULE,
    message = "qualifier must match the qualifier already given in functionName",
    fieldPath = ".qualifier")
@ValidationRule(
    value = PAYLOAD_NOT_OWN_SECRET_RULE,
    message =
        "payloadFrom must not read the resource's own result Secret (spec.secret.name): each"
            + " result would invoke again",
    fieldPath = ".payloadFrom")
public class LambdaInvocationSpec {

  @Required
  @Size(min = 1, max = FUNCTION_NAME_MAX_LENGTH)
  @Pattern(FUNCTION_NAME_PATTERN)
  @ValidationRule(
      value = "self.matches('" + FUNCTION_NAME_PART_PATTERN + "')",
      message = "the function name part of functionName must be at most 64 characters")
  @JsonPropertyDescription(
      "Function to invoke: a name (my-function), name:qualifier, partial ARN"
          + " (123456789012:function:my-function) or full ARN, as the Lambda Invoke API accepts.")
  private String functionName;

  @Size(min = 1, max = QUALIFIER_MAX_LENGTH)
  @Pattern(QUALIFIER_PATTERN)
  @JsonPropertyDescription(
      "Version or alias to invoke. Absent means $LATEST. Must not contradict a qualifier already in"
          + " functionName.")
  private String qualifier;

  @Size(max = REGION_MAX_LENGTH)
  @Pattern(REGION_PATTERN)
  @JsonPropertyDescription(
      "AWS region of the function, such as eu-west-1. Absent means the operator's default region.")
  private String region;

  @Required
  @PreserveUnknownFields
  @SchemaFrom(type = AnyJsonValue.class)
  @JsonPropertyDescription(
      "Event sent to the function: any JSON value but null, written as YAML. At most 6291456"
          + " bytes once serialized, but a default cluster stores objects of up to about 1.5 MiB:"
          + " keep it well under that. Nested at most 10000 levels, as the API server accepts."
          + " A YAML string is sent as a JSON string: payload: '{\"a\":1}'"
          + " sends \"{\\\"a\\\":1}\"; write the object as YAML instead.")
  @JsonDeserialize(using = LenientReading.Payload.class)
  private JsonNode payload;

  @Size(min = 1, max = CLIENT_CONTEXT_MAX_LENGTH)
  @Pattern(BASE64_PATTERN)
  @JsonPropertyDescription(
      "Client context passed to the function: standard base64 of a JSON object (such as e30= for"
          + " {}), at most 3583 characters. Admission checks the base64; the operator also checks"
          + " that it decodes to a JSON object.")
  private String clientContext;

  @SchemaFrom(type = LogType.class)
  @JsonPropertyDescription(
      "None (default) or Tail. With Tail the last 4 KB of the execution log are written to the"
          + " Secret key log_result (base64).")
  private String logType;

  @Size(max = DURATION_MAX_LENGTH)
  @Pattern(DURATION_PATTERN)
  @ValidationRule(value = TIMEOUT_RULE, message = "timeout must be between 1s and 15m")
  @JsonPropertyDescription(
      "How long the operator waits for the response, from 1s to 15m (such as 30s). Default 15m,"
          + " the longest a function can run.")
  private String timeout;

  @Size(max = DURATION_MAX_LENGTH)
  @Pattern(DURATION_PATTERN)
  @ValidationRule(
      value = INTERVAL_RULE,
      message = "refreshInterval must be between 1s and 8760h (365 days)")
  @JsonPropertyDescription(
      "Invoke again this long after the last invocation (such as 10m), from 1s to 8760h (365"
          + " days). Absent means no periodic refresh.")
  private String refreshInterval;

  @Size(max = MAX_PAYLOAD_INPUTS)
  @JsonPropertyDescription(
      "Values read from ConfigMaps and Secrets in the LambdaInvocation's namespace and merged into"
          + " the payload at a JSON Pointer before each invocation, in list order (at most 32). A"
          + " change of a referenced value invokes the function once; a missing object or key is"
          + " Ready=False, reason InputMissing, and nothing is invoked until it appears.")
  private List<PayloadInput> payloadFrom;

  @JsonPropertyDescription("The Secret that receives the result.")
  private SecretSpec secret;

  @JsonPropertyDescription(
      "A condition the result of a successful call must meet to be written to the Secret (a"
          + " compliance gate). Not checked for the call of spec.onDelete.")
  private SuccessConditionSpec successCondition;

  @SchemaFrom(type = InvokePolicy.class)
  @JsonPropertyDescription(
      "Whether an operator restart invokes the function. EveryReconcile (default): an operator"
          + " start, a leader change or a rolling update invokes every resource once. OnChange:"
          + " only a spec change, a deleted or edited Secret, refreshInterval or the"
          + " invoke-requested-at annotation invoke; a restart invokes nothing while the Secret is"
          + " intact.")
  private String invokePolicy;

  @JsonPropertyDescription(
      "Invoke the function once more when this LambdaInvocation is deleted, with its own payload"
          + " (such as to revoke the credential the first call handed out). A finalizer holds the"
          + " deletion until that call succeeded or its retries are spent; without onDelete there"
          + " is no finalizer.")
  private OnDeleteSpec onDelete;

  /** Why the stored spec could not be read into this model; null when it could. */
  @JsonIgnore private String unreadable;

  /**
   * A spec that does not fit the model (a field of another type): reported as InvalidSpec.
   *
   * @param reason names the field and the type it must have, never its value
   */
  public static LambdaInvocationSpec unreadable(String reason) {
    var spec = new LambdaInvocationSpec();
    spec.unreadable = reason;
    return spec;
  }

  /** Why the stored spec could not be read, or null. */
  @JsonIgnore
  public String getUnreadable() {
    return unreadable;
  }

  public String getFunctionName() {
    return functionName;
  }

  public void setFunctionName(String functionName) {
    this.functionName = functionName;
  }

  public String getQualifier() {
    return qualifier;
  }

  public void setQualifier(String qualifier) {
    this.qualifier = qualifier;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public JsonNode getPayload() {
    return payload;
  }

  public void setPayload(JsonNode payload) {
    this.payload = payload;
  }

  public String getClientContext() {
    return clientContext;
  }

  public void setClientContext(String clientContext) {
    this.clientContext = clientContext;
  }

  public String getLogType() {
    return logType;
  }

  public void setLogType(String logType) {
    this.logType = logType;
  }

  public String getTimeout() {
    return timeout;
  }

  public void setTimeout(String timeout) {
    this.timeout = timeout;
  }

  public String getRefreshInterval() {
    return refreshInterval;
  }

  public void setRefreshInterval(String refreshInterval) {
    this.refreshInterval = refreshInterval;
  }

  public String getInvokePolicy() {
    return invokePolicy;
  }

  public void setInvokePolicy(String invokePolicy) {
    this.invokePolicy = invokePolicy;
  }

  public OnDeleteSpec getOnDelete() {
    return onDelete;
  }

  public void setOnDelete(OnDeleteSpec onDelete) {
    this.onDelete = onDelete;
  }

  public List<PayloadInput> getPayloadFrom() {
    return payloadFrom;
  }

  public void setPayloadFrom(List<PayloadInput> payloadFrom) {
    this.payloadFrom = payloadFrom;
  }

  public SuccessConditionSpec getSuccessCondition() {
    return successCondition;
  }

  public void setSuccessCondition(SuccessConditionSpec successCondition) {
    this.successCondition = successCondition;
  }

  public SecretSpec getSecret() {
    return secret;
  }

  public void setSecret(SecretSpec secret) {
    this.secret = secret;
  }
}
