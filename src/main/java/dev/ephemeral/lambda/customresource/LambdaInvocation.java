package dev.ephemeral.lambda.customresource;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * An invocation of an AWS Lambda function whose result is kept in a Secret owned by this resource.
 */
@Group(LambdaInvocation.GROUP)
@Version(LambdaInvocation.VERSION)
@Kind("LambdaInvocation")
@Plural("lambdainvocations")
@Singular("lambdainvocation")
@ShortNames({"lambdainv", "linv"})
@Categories(LambdaInvocation.CATEGORY)
// The root description kubectl explain lambdainvocation shows; the generator takes none from Java.
@SchemaCustomizer(
    value = SchemaCustomizer.MergePatchCustomizer.class,
    input =
        "{\"description\":\"An invocation of an AWS Lambda function whose result the operator"
            + " keeps in a Secret owned by this resource, refreshed, expired and restarted as the"
            + " spec says. The status and its Ready condition tell how the last invocation went;"
            + " they never hold any part of the result.\"}")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    getDescription = "Whether the Secret holds the result of the current spec")
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
    getDescription = "Why the resource is or is not ready")
@AdditionalPrinterColumn(
    name = "Status Code",
    jsonPath = ".status.statusCode",
    type = AdditionalPrinterColumn.Type.INTEGER,
    getDescription = "HTTP status code of the last successful invocation")
@AdditionalPrinterColumn(
    name = "Executed Version",
    jsonPath = ".status.executedVersion",
    getDescription = "Function version that ran")
@AdditionalPrinterColumn(
    name = "Secret",
    jsonPath = ".status.secretName",
    getDescription = "Secret holding the result")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(
    value = "size(self.metadata.name) <= 63",
    message =
        "metadata.name must be at most 63 characters: it becomes the value of the Secret's label"
            + " lambda.ephemeral.dev/invocation",
    fieldPath = ".metadata.name")
public class LambdaInvocation extends CustomResource<LambdaInvocationSpec, LambdaInvocationStatus>
    implements Namespaced {

  public static final String GROUP = "lambda.ephemeral.dev";
  public static final String VERSION = "v1alpha1";

  /** kubectl get lambda lists both kinds of this group. */
  public static final String CATEGORY = "lambda";

  /** Setting this annotation to a new value asks for one more invocation ("run again"). */
  public static final String INVOKE_REQUESTED_AT_ANNOTATION = GROUP + "/invoke-requested-at";

  @Override
  @JsonPropertyDescription("What to invoke and where the result goes.")
  public LambdaInvocationSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "Outcome of the last invocation: status code and executed version only, never the result.")
  public LambdaInvocationStatus getStatus() {
    return super.getStatus();
  }

  @Override
  @JsonDeserialize(using = LenientReading.Spec.class)
  public void setSpec(LambdaInvocationSpec spec) {
    super.setSpec(spec);
  }

  @Override
  @JsonDeserialize(using = LenientReading.Status.class)
  public void setStatus(LambdaInvocationStatus status) {
    super.setStatus(status);
  }

  public String invokeRequest() {
    var annotations = getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(INVOKE_REQUESTED_AT_ANNOTATION);
  }
}
