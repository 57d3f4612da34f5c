package dev.ephemeral.lambda.customresource;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A CEL expression a successful call's result must meet before it is written to the Secret. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SuccessConditionSpec {

  @Required
  @Size(min = 1, max = SUCCESS_CONDITION_MAX_LENGTH)
  @JsonPropertyDescription(
      "CEL expression that must be true for the result to be accepted, such as"
          + " result.compliant == true, or has(result.api_key) && size(result.api_key) >= 32."
          + " Variables: result (the parsed JSON result; a string when it is not JSON),"
          + " statusCode (int) and executedVersion (string). At most 1024 characters; it must"
          + " compile and be boolean, or the spec is invalid. False, or an evaluation error"
          + " (such as a missing key), is Ready=False, reason ConditionNotMet: the Secret keeps"
          + " its previous data and the call is not retried until the next trigger.")
  private String expression;

  @Size(max = SUCCESS_CONDITION_MESSAGE_MAX_LENGTH)
  @JsonPropertyDescription(
      "Fixed text shown in the Ready condition and the Warning Event when the condition is not"
          + " met, such as 'the compliance check found violations'. At most 256 characters.")
  private String message;

  @JsonPropertyDescription(
      "Write a rejected result to the Secret anyway (such as to read the violations a check"
          + " reported); the resource is still Ready=False, reason ConditionNotMet. Default"
          + " false: a rejected result is never written, and pods keep the last accepted value.")
  private Boolean writeRejectedResult;

  public String getExpression() {
    return expression;
  }

  public void setExpression(String expression) {
    this.expression = expression;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public Boolean getWriteRejectedResult() {
    return writeRejectedResult;
  }

  public void setWriteRejectedResult(Boolean writeRejectedResult) {
    this.writeRejectedResult = writeRejectedResult;
  }
}
