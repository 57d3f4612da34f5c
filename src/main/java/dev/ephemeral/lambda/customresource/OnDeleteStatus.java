package dev.ephemeral.lambda.customresource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * Where the call of spec.onDelete stands while the resource is being deleted. Kept in the status,
 * so an operator restart continues the bounded retries instead of starting them over.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OnDeleteStatus {

  /** The call succeeded: only the finalizer's removal is left. */
  public static final String SUCCEEDED = "Succeeded";

  /** The call was given up: only the finalizer's removal is left. */
  public static final String ABANDONED = "Abandoned";

  @JsonPropertyDescription(
      "Failed spec.onDelete calls in a row since the deletion began; retried up to the operator's"
          + " RETRY_MAX_RETRIES.")
  private Integer failedAttempts;

  @JsonPropertyDescription("When the spec.onDelete call is tried again after a failure (RFC 3339).")
  private String nextAttemptTime;

  @JsonPropertyDescription(
      "The last failure of the spec.onDelete call, or why it was given up: a reason and a message,"
          + " never data of the response.")
  private String lastFailure;

  @JsonPropertyDescription(
      "Succeeded or Abandoned once the spec.onDelete call is done; the finalizer is removed next.")
  private String outcome;

  public OnDeleteStatus() {}

  public OnDeleteStatus(
      Integer failedAttempts, String nextAttemptTime, String lastFailure, String outcome) {
    this.failedAttempts = failedAttempts;
    this.nextAttemptTime = nextAttemptTime;
    this.lastFailure = lastFailure;
    this.outcome = outcome;
  }

  public Integer getFailedAttempts() {
    return failedAttempts;
  }

  public void setFailedAttempts(Integer failedAttempts) {
    this.failedAttempts = failedAttempts;
  }

  public String getNextAttemptTime() {
    return nextAttemptTime;
  }

  public void setNextAttemptTime(String nextAttemptTime) {
    this.nextAttemptTime = nextAttemptTime;
  }

  public String getLastFailure() {
    return lastFailure;
  }

  public void setLastFailure(String lastFailure) {
    this.lastFailure = lastFailure;
  }

  public String getOutcome() {
    return outcome;
  }

  public void setOutcome(String outcome) {
    this.outcome = outcome;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OnDeleteStatus other
        && Objects.equals(failedAttempts, other.failedAttempts)
        && Objects.equals(nextAttemptTime, other.nextAttemptTime)
        && Objects.equals(lastFailure, other.lastFailure)
        && Objects.equals(outcome, other.outcome);
  }

  @Override
  public int hashCode() {
    return Objects.hash(failedAttempts, nextAttemptTime, lastFailure, outcome);
  }
}
