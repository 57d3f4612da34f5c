package dev.ephemeral.lambda.customresource;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What the operator observed. Never holds any part of the result or the log. */
@SchemaCustomizer(value = ConditionsByType.class, input = "conditions")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LambdaInvocationStatus {

  public static final String READY = "Ready";

  /** kstatus: True while an automatic retry of a failed invocation is pending. */
  public static final String RECONCILING = "Reconciling";

  /** kstatus: True when the resource needs a person to act before it can become Ready. */
  public static final String STALLED = "Stalled";

  @JsonPropertyDescription("The metadata.generation that the last finished reconcile acted on.")
  private Long observedGeneration;

  @JsonPropertyDescription("HTTP status code of the invocation whose result is in the Secret.")
  private Integer statusCode;

  @JsonPropertyDescription(
      "Function version that ran for the invocation whose result is in the Secret.")
  private String executedVersion;

  @JsonPropertyDescription("Name of the Secret that holds (or held, once expired) the result.")
  private String secretName;

  @JsonPropertyDescription("When the invocation whose result is in the Secret finished (RFC 3339).")
  private String lastInvocationTime;

  @JsonPropertyDescription("When the next periodic invocation is due, with spec.refreshInterval.")
  private String nextRefreshTime;

  @JsonPropertyDescription("When the Secret expires and is deleted, with spec.secret.ttl.")
  private String expiryTime;

  @JsonPropertyDescription(
      "When the next automatic retry of a failed invocation is due: with backoff, or slowly (every"
          + " few minutes) for a failure whose fix lies outside the resource. Absent when none is"
          + " pending: it succeeded, or the retries are spent and the next trigger decides.")
  private String nextRetryTime;

  @JsonPropertyDescription(
      "Failed invocations in a row: retries and periodic refreshes continue the count, any other"
          + " trigger starts it over. It sets how long the next retry or refresh waits. Absent after"
          + " a success. Kept here so that an operator restart continues the count.")
  private Integer failedAttempts;

  @JsonPropertyDescription(
      "Calls Lambda throttled in a row (HTTP 429: the function did not run). They do not count as"
          + " failed invocations and use up no retry: the call is retried with a backoff that"
          + " grows with this count until it runs; past the retry count it is also reported as"
          + " Stalled. Absent once a call ran.")
  private Integer throttledAttempts;

  @JsonPropertyDescription(
      "The metadata.generation whose request Lambda rejected as invalid (HTTP 400) or too large"
          + " (413): not invoked again until the spec changes or an invoke request.")
  private Long rejectedGeneration;

  @JsonPropertyDescription(
      "The state of the Secret (its resourceVersion, or 'absent') that a deleted or edited Secret"
          + " last triggered an invocation for: each state triggers once.")
  private String lastHandledSecretVersion;

  @JsonPropertyDescription(
      "The value of the annotation lambda.ephemeral.dev/invoke-requested-at last acted on.")
  private String lastHandledInvokeRequest;

  @JsonPropertyDescription(
      "The data-hash (the Secret's lambda.ephemeral.dev/data-hash annotation, an HMAC that reveals"
          + " nothing of the data) of the last Secret data spec.secret.rolloutRestartTargets were"
          + " restarted for. When the Secret's differs (the operator stopped between writing the"
          + " Secret and restarting the targets), the next reconcile restarts them.")
  private String rolloutRestartedFor;

  @JsonPropertyDescription(
      "With spec.secret.previousValueRetention: when the Secret's previous values (its keys"
          + " ending in .previous) are dropped, as its annotation"
          + " lambda.ephemeral.dev/previous-expires-at says. Absent when it holds none.")
  private String previousValuesExpiryTime;

  @JsonPropertyDescription(
      "Keyed hash (HMAC-SHA256, with a key only the operator holds, so it cannot be guessed back)"
          + " of the values spec.payloadFrom read for the last invocation: when the values differ,"
          + " the function is invoked once more.")
  private String inputsHash;

  @JsonPropertyDescription(
      "The call of spec.onDelete, while the resource is being deleted: its failed attempts, next"
          + " attempt and last failure.")
  private OnDeleteStatus onDelete;

  @JsonPropertyDescription(
      "Ready: True once the Secret holds the current spec's result. Reconciling: True while an"
          + " automatic retry of a failed invocation is pending. Stalled: True when a person must"
          + " act (fix the spec, the function, its permissions, or a conflicting Secret), or the"
          + " retries are spent. Each with observedGeneration, for kstatus, Flux and kubectl wait.")
  private List<InvocationCondition> conditions = new ArrayList<>();

  @JsonIgnore
  public Optional<InvocationCondition> readyCondition() {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> READY.equals(c.getType())).findFirst();
  }

  /** The condition of {@code type}, if present. */
  @JsonIgnore
  public Optional<InvocationCondition> condition(String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  @JsonIgnore
  public boolean isReady() {
    return readyCondition().map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  @JsonIgnore
  public boolean hasReason(String reason) {
    return readyCondition().map(c -> reason.equals(c.getReason())).orElse(false);
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public Integer getStatusCode() {
    return statusCode;
  }

  public void setStatusCode(Integer statusCode) {
    this.statusCode = statusCode;
  }

  public String getExecutedVersion() {
    return executedVersion;
  }

  public void setExecutedVersion(String executedVersion) {
    this.executedVersion = executedVersion;
  }

  public String getSecretName() {
    return secretName;
  }

  public void setSecretName(String secretName) {
    this.secretName = secretName;
  }

  public String getLastInvocationTime() {
    return lastInvocationTime;
  }

  public void setLastInvocationTime(String lastInvocationTime) {
    this.lastInvocationTime = lastInvocationTime;
  }

  public String getNextRefreshTime() {
    return nextRefreshTime;
  }

  public void setNextRefreshTime(String nextRefreshTime) {
    this.nextRefreshTime = nextRefreshTime;
  }

  public String getExpiryTime() {
    return expiryTime;
  }

  public void setExpiryTime(String expiryTime) {
    this.expiryTime = expiryTime;
  }

  public String getNextRetryTime() {
    return nextRetryTime;
  }

  public void setNextRetryTime(String nextRetryTime) {
    this.nextRetryTime = nextRetryTime;
  }

  public Integer getFailedAttempts() {
    return failedAttempts;
  }

  public void setFailedAttempts(Integer failedAttempts) {
    this.failedAttempts = failedAttempts;
  }

  public Integer getThrottledAttempts() {
    return throttledAttempts;
  }

  public void setThrottledAttempts(Integer throttledAttempts) {
    this.throttledAttempts = throttledAttempts;
  }

  public Long getRejectedGeneration() {
    return rejectedGeneration;
  }

  public void setRejectedGeneration(Long rejectedGeneration) {
    this.rejectedGeneration = rejectedGeneration;
  }

  public String getLastHandledSecretVersion() {
    return lastHandledSecretVersion;
  }

  public void setLastHandledSecretVersion(String lastHandledSecretVersion) {
    this.lastHandledSecretVersion = lastHandledSecretVersion;
  }

  public String getLastHandledInvokeRequest() {
    return lastHandledInvokeRequest;
  }

  public void setLastHandledInvokeRequest(String lastHandledInvokeRequest) {
    this.lastHandledInvokeRequest = lastHandledInvokeRequest;
  }

  public String getRolloutRestartedFor() {
    return rolloutRestartedFor;
  }

  public void setRolloutRestartedFor(String rolloutRestartedFor) {
    this.rolloutRestartedFor = rolloutRestartedFor;
  }

  public String getPreviousValuesExpiryTime() {
    return previousValuesExpiryTime;
  }

  public void setPreviousValuesExpiryTime(String previousValuesExpiryTime) {
    this.previousValuesExpiryTime = previousValuesExpiryTime;
  }

  public String getInputsHash() {
    return inputsHash;
  }

  public void setInputsHash(String inputsHash) {
    this.inputsHash = inputsHash;
  }

  public OnDeleteStatus getOnDelete() {
    return onDelete;
  }

  public void setOnDelete(OnDeleteStatus onDelete) {
    this.onDelete = onDelete;
  }

  public List<InvocationCondition> getConditions() {
    return conditions;
  }

  public void setConditions(List<InvocationCondition> conditions) {
    this.conditions = conditions;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LambdaInvocationStatus other)) {
      return false;
    }
    return Objects.equals(observedGeneration, other.observedGeneration)
        && Objects.equals(statusCode, other.statusCode)
        && Objects.equals(executedVersion, other.executedVersion)
        && Objects.equals(secretName, other.secretName)
        && Objects.equals(lastInvocationTime, other.lastInvocationTime)
        && Objects.equals(nextRefreshTime, other.nextRefreshTime)
        && Objects.equals(expiryTime, other.expiryTime)
        && Objects.equals(nextRetryTime, other.nextRetryTime)
        && Objects.equals(failedAttempts, other.failedAttempts)
        && Objects.equals(throttledAttempts, other.throttledAttempts)
        && Objects.equals(rejectedGeneration, other.rejectedGeneration)
        && Objects.equals(lastHandledSecretVersion, other.lastHandledSecretVersion)
        && Objects.equals(lastHandledInvokeRequest, other.lastHandledInvokeRequest)
        && Objects.equals(rolloutRestartedFor, other.rolloutRestartedFor)
        && Objects.equals(previousValuesExpiryTime, other.previousValuesExpiryTime)
        && Objects.equals(inputsHash, other.inputsHash)
        && Objects.equals(onDelete, other.onDelete)
        && Objects.equals(conditions, other.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, statusCode, secretName, lastInvocationTime, conditions);
  }
}
