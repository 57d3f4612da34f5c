package dev.ephemeral.lambda.customresource;

import static dev.ephemeral.lambda.customresource.PolicyRules.*;
import static dev.ephemeral.lambda.customresource.SpecRules.DURATION_MAX_LENGTH;
import static dev.ephemeral.lambda.customresource.SpecRules.DURATION_PATTERN;
import static dev.ephemeral.lambda.customresource.SpecRules.INTERVAL_RULE;
import static dev.ephemeral.lambda.customresource.SpecRules.TIMEOUT_RULE;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;
import java.util.Map;

/**
 * Which namespaces a policy applies to, which functions they may invoke, and how. A null inside a
 * list or map, which the schema refuses, makes the stored spec unreadable (see {@link
 * LenientReading}) rather than reach the evaluator.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = SELECTS_NAMESPACES_RULE,
    message = "set namespaces, namespaceSelector or both")
@ValidationRule(
    value = ROLE_OPTIONS_NEED_ROLE_RULE,
    message = "externalId and sessionTags need roleArn",
    fieldPath = ".roleArn")
public class LambdaInvocationPolicySpec {

  @Size(max = MAX_NAMESPACES)
  @JsonPropertyDescription(
      "Namespaces this policy applies to, by name. With namespaceSelector too, it applies to a"
          + " namespace named here or selected there.")
  @JsonSetter(contentNulls = Nulls.FAIL)
  private List<@Pattern(NAMESPACE_PATTERN) @Size(min = 1, max = NAMESPACE_MAX_LENGTH) String>
      namespaces;

  @JsonPropertyDescription(
      "Namespaces this policy applies to, by their labels ({} selects every namespace).")
  private LabelSelector namespaceSelector;

  @Required
  @Size(max = MAX_FUNCTIONS)
  @JsonPropertyDescription(
      "Functions those namespaces may invoke; a LambdaInvocation is allowed when the full ARN it"
          + " would call matches one. Empty allows nothing (with revoke: true, it takes every"
          + " result away).")
  @JsonSetter(contentNulls = Nulls.FAIL)
  private List<FunctionPattern> functions;

  @Size(max = ROLE_ARN_MAX_LENGTH)
  @Pattern(ROLE_ARN_PATTERN)
  @JsonPropertyDescription(
      "IAM role the operator assumes (STS AssumeRole) to invoke the functions this policy allows."
          + " Absent means the operator's own credentials.")
  private String roleArn;

  @Size(min = EXTERNAL_ID_MIN_LENGTH, max = EXTERNAL_ID_MAX_LENGTH)
  @Pattern(EXTERNAL_ID_PATTERN)
  @JsonPropertyDescription("External ID passed to AssumeRole, when the role's trust policy asks.")
  private String externalId;

  @Size(max = MAX_SESSION_TAGS)
  @ValidationRule(
      value = SESSION_TAG_KEYS_RULE,
      message = "session tag keys are at most 128 of [a-zA-Z0-9 _.:/=+@-], values at most 256")
  @JsonPropertyDescription("Session tags passed to AssumeRole (key -> value).")
  @JsonSetter(contentNulls = Nulls.FAIL)
  private Map<String, String> sessionTags;

  @Size(max = DURATION_MAX_LENGTH)
  @Pattern(DURATION_PATTERN)
  @ValidationRule(
      value = INTERVAL_RULE,
      message = "minRefreshInterval must be between 1s and 8760h (365 days)")
  @JsonPropertyDescription(
      "The shortest spec.refreshInterval this policy allows (such as 5m). Absent means any.")
  private String minRefreshInterval;

  @Size(max = DURATION_MAX_LENGTH)
  @Pattern(DURATION_PATTERN)
  @ValidationRule(value = TIMEOUT_RULE, message = "maxTimeout must be between 1s and 15m")
  @JsonPropertyDescription(
      "The longest spec.timeout this policy allows (such as 1m); a LambdaInvocation without"
          + " spec.timeout waits 15m, so it must then set one. Absent means any.")
  private String maxTimeout;

  @JsonPropertyDescription(
      "When a LambdaInvocation in a namespace this policy applies to is not allowed, delete its"
          + " Secret at once instead of leaving it to its ttl. Default false.")
  private Boolean revoke;

  /** Why the stored spec could not be read into this model; null when it could. */
  @JsonIgnore private String unreadable;

  /**
   * A spec that does not fit the model (a field of another type): the policy is ignored, so it
   * allows nothing, and reported as InvalidSpec.
   *
   * @param reason names the field and the type it must have, never its value
   */
  public static LambdaInvocationPolicySpec unreadable(String reason) {
    var spec = new LambdaInvocationPolicySpec();
    spec.unreadable = reason;
    return spec;
  }

  /** Why the stored spec could not be read, or null. */
  @JsonIgnore
  public String getUnreadable() {
    return unreadable;
  }

  public List<String> getNamespaces() {
    return namespaces;
  }

  public void setNamespaces(List<String> namespaces) {
    this.namespaces = namespaces;
  }

  public LabelSelector getNamespaceSelector() {
    return namespaceSelector;
  }

  public void setNamespaceSelector(LabelSelector namespaceSelector) {
    this.namespaceSelector = namespaceSelector;
  }

  public List<FunctionPattern> getFunctions() {
    return functions;
  }

  public void setFunctions(List<FunctionPattern> functions) {
    this.functions = functions;
  }

  public String getRoleArn() {
    return roleArn;
  }

  public void setRoleArn(String roleArn) {
    this.roleArn = roleArn;
  }

  public String getExternalId() {
    return externalId;
  }

  public void setExternalId(String externalId) {
    this.externalId = externalId;
  }

  public Map<String, String> getSessionTags() {
    return sessionTags;
  }

  public void setSessionTags(Map<String, String> sessionTags) {
    this.sessionTags = sessionTags;
  }

  public String getMinRefreshInterval() {
    return minRefreshInterval;
  }

  public void setMinRefreshInterval(String minRefreshInterval) {
    this.minRefreshInterval = minRefreshInterval;
  }

  public String getMaxTimeout() {
    return maxTimeout;
  }

  public void setMaxTimeout(String maxTimeout) {
    this.maxTimeout = maxTimeout;
  }

  public Boolean getRevoke() {
    return revoke;
  }

  public void setRevoke(Boolean revoke) {
    this.revoke = revoke;
  }
}
