package dev.ephemeral.lambda.customresource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;

/** The call made once more when the LambdaInvocation is deleted, such as to revoke a credential. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OnDeleteSpec {

  @Required
  @PreserveUnknownFields
  @SchemaFrom(type = AnyJsonValue.class)
  @JsonPropertyDescription(
      "Event sent to the function when the LambdaInvocation is deleted: any JSON value but null,"
          + " written as YAML, with the same limits as spec.payload. The same function,"
          + " qualifier, region, clientContext and timeout are used; the response is discarded.")
  @JsonDeserialize(using = LenientReading.Payload.class)
  private JsonNode payload;

  public JsonNode getPayload() {
    return payload;
  }

  public void setPayload(JsonNode payload) {
    this.payload = payload;
  }
}
