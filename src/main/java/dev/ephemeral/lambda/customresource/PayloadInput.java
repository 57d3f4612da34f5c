package dev.ephemeral.lambda.customresource;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** One value from the cluster merged into the payload before each invocation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = PAYLOAD_INPUT_ONE_SOURCE_RULE,
    message = "payloadFrom: each entry needs exactly one of configMapKeyRef and secretKeyRef")
public class PayloadInput {

  @Required
  @Size(max = JSON_POINTER_MAX_LENGTH)
  @Pattern(JSON_POINTER_PATTERN)
  @ValidationRule(
      value = PAYLOAD_POINTER_APPEND_RULE,
      message = "payloadFrom: '-' (append to an array) may only be the last token of pointer")
  @JsonPropertyDescription(
      "Where the value goes in the payload: a JSON Pointer (RFC 6901) such as /db/host. Missing"
          + " objects on the way are created; an existing value there is replaced; on an array, an"
          + " existing index replaces that element and '-' appends. The empty pointer replaces the"
          + " whole payload.")
  private String pointer;

  @JsonPropertyDescription("A key of a ConfigMap (its data) in the LambdaInvocation's namespace.")
  private KeyReference configMapKeyRef;

  @JsonPropertyDescription(
      "A key of a Secret in the LambdaInvocation's namespace. The value is sent to the function"
          + " and appears nowhere else: not in the status, Events or the operator's log.")
  private KeyReference secretKeyRef;

  @SchemaFrom(type = InputFormat.class)
  @JsonPropertyDescription(
      "String (default): the value's text, sent as a JSON string. Json: the value parsed as JSON"
          + " text (an object, array, number...); a value that is not JSON is reason InputMissing.")
  private String format;

  public String getPointer() {
    return pointer;
  }

  public void setPointer(String pointer) {
    this.pointer = pointer;
  }

  public KeyReference getConfigMapKeyRef() {
    return configMapKeyRef;
  }

  public void setConfigMapKeyRef(KeyReference configMapKeyRef) {
    this.configMapKeyRef = configMapKeyRef;
  }

  public KeyReference getSecretKeyRef() {
    return secretKeyRef;
  }

  public void setSecretKeyRef(KeyReference secretKeyRef) {
    this.secretKeyRef = secretKeyRef;
  }

  public String getFormat() {
    return format;
  }

  public void setFormat(String format) {
    this.format = format;
  }
}
