package dev.ephemeral.lambda.customresource;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Which namespaces may invoke which functions, and with which AWS role: cluster-scoped, written by
 * the cluster's administrators. Enforced only with {@code POLICY_MODE=Enforce}.
 */
@Group(LambdaInvocation.GROUP)
@Version(LambdaInvocation.VERSION)
@Kind("LambdaInvocationPolicy")
@Plural("lambdainvocationpolicies")
@Singular("lambdainvocationpolicy")
@ShortNames({"lambdapolicy", "linvpol"})
@Categories(LambdaInvocation.CATEGORY)
// The root description kubectl explain lambdainvocationpolicy shows.
@SchemaCustomizer(
    value = SchemaCustomizer.MergePatchCustomizer.class,
    input =
        "{\"description\":\"Which namespaces may invoke which AWS Lambda functions, and with"
            + " which IAM role: cluster-scoped, written by the cluster's administrators, and"
            + " enforced when the operator runs with POLICY_MODE=Enforce.\"}")
@AdditionalPrinterColumn(
    name = "Namespaces",
    jsonPath = ".spec.namespaces",
    getDescription = "Namespaces named by this policy")
@AdditionalPrinterColumn(
    name = "Role",
    jsonPath = ".spec.roleArn",
    getDescription = "IAM role assumed for invocations this policy allows")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    getDescription = "Whether the policy is in force without conflicts")
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
    getDescription = "Why the policy is or is not ready")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class LambdaInvocationPolicy
    extends CustomResource<LambdaInvocationPolicySpec, LambdaInvocationPolicyStatus> {

  @Override
  @JsonPropertyDescription(
      "Which namespaces this policy applies to, which functions they may invoke, and how.")
  public LambdaInvocationPolicySpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What the operator found about this policy: conflicts with others.")
  public LambdaInvocationPolicyStatus getStatus() {
    return super.getStatus();
  }

  @Override
  @JsonDeserialize(using = LenientReading.PolicySpec.class)
  public void setSpec(LambdaInvocationPolicySpec spec) {
    super.setSpec(spec);
  }

  @Override
  @JsonDeserialize(using = LenientReading.PolicyStatus.class)
  public void setStatus(LambdaInvocationPolicyStatus status) {
    super.setStatus(status);
  }
}
