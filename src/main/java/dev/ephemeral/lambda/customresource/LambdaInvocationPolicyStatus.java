package dev.ephemeral.lambda.customresource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator found about a policy. */
@SchemaCustomizer(value = ConditionsByType.class, input = "conditions")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LambdaInvocationPolicyStatus {

  @JsonPropertyDescription("The metadata.generation the conditions describe.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Ready: True when the policy is in force; False with reason Conflict when another policy"
          + " matches a LambdaInvocation equally specifically with another role, or with reason"
          + " InvalidSpec when its stored spec does not fit the schema (it is then ignored).")
  private List<PolicyCondition> conditions = new ArrayList<>();

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<PolicyCondition> getConditions() {
    return conditions;
  }

  public void setConditions(List<PolicyCondition> conditions) {
    this.conditions = conditions;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LambdaInvocationPolicyStatus that
        && Objects.equals(observedGeneration, that.observedGeneration)
        && Objects.equals(conditions, that.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, conditions);
  }
}
