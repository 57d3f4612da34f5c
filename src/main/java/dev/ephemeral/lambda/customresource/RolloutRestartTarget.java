package dev.ephemeral.lambda.customresource;

import static dev.ephemeral.lambda.customresource.SpecRules.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A workload in the LambdaInvocation's namespace whose pods restart when the result changes. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RolloutRestartTarget {

  @Required
  @SchemaFrom(type = RolloutTargetKind.class)
  @JsonPropertyDescription("Deployment, StatefulSet or DaemonSet (apps/v1).")
  private String kind;

  @Required
  @Size(min = 1, max = WORKLOAD_NAME_MAX_LENGTH)
  @Pattern(WORKLOAD_NAME_PATTERN)
  @JsonPropertyDescription(
      "Name of the workload, in the LambdaInvocation's namespace. A workload that does not exist"
          + " is reported with a Warning Event, and does not make the LambdaInvocation fail.")
  private String name;

  public RolloutRestartTarget() {}

  public RolloutRestartTarget(String kind, String name) {
    this.kind = kind;
    this.name = name;
  }

  public String getKind() {
    return kind;
  }

  public void setKind(String kind) {
    this.kind = kind;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
