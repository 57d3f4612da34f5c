package dev.ephemeral.lambda.inputs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.KeyReference;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.customresource.PayloadInput;
import dev.ephemeral.lambda.customresource.SecretSpec;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Rings of chained results are found, whatever their length; chains that end are not rings. */
class ResultRingTest {

  private final SpecValidator validator = new SpecValidator(new ObjectMapper());

  @Test
  void twoResourcesReadingEachOthersResultFormARing() {
    var a = reading("a", "b");
    var b = reading("b", "a");

    assertThat(ring(a, a, b))
        .contains(
            "spec.payloadFrom[0] reads Secret b, the result of LambdaInvocation b, which reads"
                + " Secret a, this resource's own result: a ring of chained results would invoke"
                + " its functions one after the other without end");
    assertThat(ring(b, a, b)).isPresent();
  }

  @Test
  void aRingOfThreeIsFoundFromEachMember() {
    var a = reading("a", "b");
    var b = reading("b", "c");
    var c = reading("c", "a");

    assertThat(ring(a, a, b, c))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("LambdaInvocation b, which reads Secret c")
                    .contains("LambdaInvocation c, which reads Secret a, this resource's own"));
    assertThat(ring(b, a, b, c)).isPresent();
    assertThat(ring(c, a, b, c)).isPresent();
  }

  @Test
  void aChainThatEndsIsNoRing() {
    var a = reading("a", "b");
    var b = reading("b", "c");
    var c = resource("c");

    assertThat(ring(a, a, b, c)).isEmpty();
  }

  @Test
  void aRingElsewhereInTheNamespaceDoesNotConcernAResourceThatOnlyReadsIt() {
    var a = reading("a", "b");
    var b = reading("b", "c");
    var c = reading("c", "b");

    assertThat(ring(a, a, b, c)).isEmpty();
    assertThat(ring(b, a, b, c)).isPresent();
  }

  @Test
  void theResultSecretIsSpecSecretNameWhenSet() {
    var a = reading("a", "b-credentials");
    a.getSpec().setSecret(secretNamed("a-credentials"));
    var b = reading("b", "a-credentials");
    b.getSpec().setSecret(secretNamed("b-credentials"));

    assertThat(ring(a, a, b)).isPresent();
    // Reading b by its resource name, not its Secret's, is no ring.
    assertThat(ring(reading("a", "b"), a, b)).isEmpty();
  }

  @Test
  void aResourceWithoutSecretInputsIsNeverInARing() {
    var a = resource("a");
    var b = reading("b", "a");

    assertThat(ring(a, a, b)).isEmpty();
  }

  private Optional<String> ring(LambdaInvocation resource, LambdaInvocation... namespace) {
    var validation = validator.validate(resource);
    InvocationPlan plan = ((SpecValidator.Valid) validation).plan();
    return ResultRing.find(resource, plan, () -> Arrays.stream(namespace));
  }

  private static LambdaInvocation reading(String name, String secret) {
    var resource = resource(name);
    var input = new PayloadInput();
    input.setPointer("/previous");
    input.setSecretKeyRef(new KeyReference(secret, "result"));
    resource.getSpec().setPayloadFrom(List.of(input));
    return resource;
  }

  private static LambdaInvocation resource(String name) {
    var resource = new LambdaInvocation();
    resource.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace("shop").withUid("uid-" + name).build());
    var spec = new LambdaInvocationSpec();
    spec.setFunctionName("rotate");
    spec.setPayload(new ObjectMapper().createObjectNode());
    resource.setSpec(spec);
    return resource;
  }

  private static SecretSpec secretNamed(String name) {
    var secret = new SecretSpec();
    secret.setName(name);
    return secret;
  }
}
