package dev.ephemeral.lambda.customresource;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * One key of a ConfigMap or Secret in the LambdaInvocation's namespace, written as a container's
 * env valueFrom names it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KeyReference {

  @Required
  @Size(min = 1, max = SECRET_NAME_MAX_LENGTH)
  @Pattern(SECRET_NAME_PATTERN)
  @JsonPropertyDescription("Name of the object, in the LambdaInvocation's namespace.")
  private String name;

  @Required
  @Size(min = 1, max = SECRET_KEY_MAX_LENGTH)
  @Pattern(SECRET_KEY_PATTERN)
  @JsonPropertyDescription("Key in the object's data.")
  private String key;

  @JsonPropertyDescription(
      "When true, a missing object or key leaves the payload as it is instead of stopping the"
          + " invocation (reason InputMissing). Default false.")
  private Boolean optional;

  public KeyReference() {}

  public KeyReference(String name, String key) {
    this.name = name;
    this.key = key;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getKey() {
    return key;
  }

  public void setKey(String key) {
    this.key = key;
  }

  public Boolean getOptional() {
    return optional;
  }

  public void setOptional(Boolean optional) {
    this.optional = optional;
  }
}
