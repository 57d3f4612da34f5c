package dev.ephemeral.lambda.inputs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.KeyReference;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.customresource.PayloadInput;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import dev.ephemeral.lambda.secret.DataHash;
import dev.ephemeral.lambda.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reading the inputs: what each kind of value gives, the hash, and the limits after merging. */
class PayloadInputsTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String NAMESPACE = "shop";
  private static InProcessKubernetes kubernetes;
  private static PayloadInputs inputs;

  @BeforeAll
  static void start() {
    kubernetes = InProcessKubernetes.start();
    inputs = new PayloadInputs(kubernetes.client(), DataHash.withRandomKey(), MAPPER);
  }

  @AfterAll
  static void stop() {
    kubernetes.close();
  }

  @Test
  void theHashFollowsTheValuesAndHidesThem() {
    secret("hashed", Map.of("password", "hunter2".getBytes(StandardCharsets.UTF_8)));
    var resource = resource("{}", secretInput("/password", "hashed", "password"));

    String first = resolved(resource).inputsHash();
    String again = resolved(resource).inputsHash();
    secret("hashed", Map.of("password", "hunter3".getBytes(StandardCharsets.UTF_8)));
    String changed = resolved(resource).inputsHash();

    assertThat(first).startsWith("hmac-sha256:").isEqualTo(again).isNotEqualTo(changed);
    assertThat(first)
        .doesNotContain("hunter2")
        .doesNotContain(Base64.getEncoder().encodeToString("hunter2".getBytes()));
    // Another key gives another hash: without the operator's key a guess cannot be checked.
    assertThat(
            new PayloadInputs(kubernetes.client(), DataHash.withRandomKey(), MAPPER)
                .resolve(resource, plan(resource)))
        .isInstanceOfSatisfying(
            PayloadInputs.Resolved.class,
            r -> assertThat(r.plan().inputsHash()).isNotEqualTo(first));
  }

  @Test
  void aResourceWithoutInputsIsResolvedAsItIs() {
    var resource = resource("{\"a\":1}");
    InvocationPlan plan = plan(resource);

    assertThat(inputs.resolve(resource, plan)).isEqualTo(new PayloadInputs.Resolved(plan));
  }

  @Test
  void aSecretValueThatIsNotUtf8TextIsInputMissing() {
    secret("binary", Map.of("blob", new byte[] {(byte) 0xff, (byte) 0xfe, 0x00}));
    var resource = resource("{}", secretInput("/blob", "binary", "blob"));

    assertThat(inputs.resolve(resource, plan(resource)))
        .isEqualTo(
            new PayloadInputs.Unusable(
                ReadyReason.InputMissing,
                "Secret binary, key blob (spec.payloadFrom[0]): not UTF-8 text; nothing is invoked"
                    + " until it is there"));
  }

  @Test
  void everyMissingInputIsNamedInOneMessage() {
    configMap("partial", Map.of("other", "x"));
    var resource =
        resource(
            "{}",
            configMapInput("/a", "partial", "host"),
            configMapInput("/b", "absent", "host"),
            secretInput("/c", "absent-secret", "password"));

    var unusable = (PayloadInputs.Unusable) inputs.resolve(resource, plan(resource));
    assertThat(unusable.reason()).isEqualTo(ReadyReason.InputMissing);
    assertThat(unusable.message())
        .isEqualTo(
            "ConfigMap partial has no key host (spec.payloadFrom[0]); ConfigMap absent"
                + " (spec.payloadFrom[1]) does not exist; Secret absent-secret"
                + " (spec.payloadFrom[2]) does not exist; nothing is invoked until they are there");
  }

  @Test
  void theSizeLimitAppliesToTheMergedPayload() {
    String large = "x".repeat(3_200_000);
    configMap("large", Map.of("part", large));
    var resource =
        resource(
            "{}", configMapInput("/a", "large", "part"), configMapInput("/b", "large", "part"));

    var unusable = (PayloadInputs.Unusable) inputs.resolve(resource, plan(resource));
    assertThat(unusable.reason()).isEqualTo(ReadyReason.InvalidSpec);
    assertThat(unusable.message())
        .startsWith(
            "spec.payload with spec.payloadFrom merged in: serialized it must be at most 6291456"
                + " bytes, got 6400015");
  }

  /**
   * A Json input's numbers reach the function as written: Jackson's default would send 1e400 as the
   * string "Infinity", 1.10 as 1.1, and refuse 1,200 digits as "not JSON text".
   */
  @Test
  void aJsonInputsNumbersAreSentAsWritten() {
    String digits = "9".repeat(1_200);
    String written =
        "{\"big\":12345678901234567890123,\"price\":1.10,\"tiny\":1e-400,\"exp\":1.5E3,"
            + "\"long\":"
            + digits
            + "e-1000,\"int\":-7}";
    configMap("numbers", Map.of("json", written));
    var resource = resource("{}", jsonInput(configMapInput("/n", "numbers", "json")));

    assertThat(new String(resolved(resource).payload(), StandardCharsets.UTF_8))
        .isEqualTo("{\"n\":" + written + "}");
  }

  @Test
  void aJsonInputWithANumberBeyondAFloat64IsInputMissingNamingTheRule() {
    configMap("huge", Map.of("json", "{\"ratio\":1e400}", "int", "[1" + "0".repeat(400) + "]"));
    var resource =
        resource(
            "{}",
            jsonInput(configMapInput("/a", "huge", "json")),
            jsonInput(configMapInput("/b", "huge", "int")));

    assertThat(inputs.resolve(resource, plan(resource)))
        .isEqualTo(
            new PayloadInputs.Unusable(
                ReadyReason.InputMissing,
                "ConfigMap huge, key json (spec.payloadFrom[0]): holds a number beyond the range"
                    + " of a 64-bit float (such as 1e400), which the function's JSON parser would"
                    + " read as Infinity or refuse; write it as a string; ConfigMap huge, key int"
                    + " (spec.payloadFrom[1]): holds a number beyond the range of a 64-bit float"
                    + " (such as 1e400), which the function's JSON parser would read as Infinity or"
                    + " refuse; write it as a string; nothing is invoked until they are there"));
  }

  @Test
  void aJsonInputWithANumberLongerThanTheLimitIsInputMissingNamingTheLimit() {
    configMap("long", Map.of("json", "0." + "1".repeat(10_000)));
    var resource = resource("{}", jsonInput(configMapInput("/a", "long", "json")));

    assertThat(inputs.resolve(resource, plan(resource)))
        .isEqualTo(
            new PayloadInputs.Unusable(
                ReadyReason.InputMissing,
                "ConfigMap long, key json (spec.payloadFrom[0]): holds a number longer than 10000"
                    + " characters, the longest the operator reads; nothing is invoked until it is"
                    + " there"));
  }

  private static PayloadInput jsonInput(PayloadInput input) {
    input.setFormat("Json");
    return input;
  }

  private static InvocationPlan resolved(LambdaInvocation resource) {
    var resolution = inputs.resolve(resource, plan(resource));
    assertThat(resolution).isInstanceOf(PayloadInputs.Resolved.class);
    return ((PayloadInputs.Resolved) resolution).plan();
  }

  private static InvocationPlan plan(LambdaInvocation resource) {
    return ((SpecValidator.Valid) new SpecValidator(MAPPER).validate(resource)).plan();
  }

  private static LambdaInvocation resource(String payload, PayloadInput... payloadFrom) {
    var resource = new LambdaInvocation();
    resource.setMetadata(
        new ObjectMetaBuilder().withName("setup").withNamespace(NAMESPACE).build());
    var spec = new LambdaInvocationSpec();
    spec.setFunctionName("setup");
    try {
      spec.setPayload(MAPPER.readTree(payload));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
    spec.setPayloadFrom(payloadFrom.length == 0 ? null : List.of(payloadFrom));
    resource.setSpec(spec);
    return resource;
  }

  private static PayloadInput configMapInput(String pointer, String name, String key) {
    var input = new PayloadInput();
    input.setPointer(pointer);
    input.setConfigMapKeyRef(new KeyReference(name, key));
    return input;
  }

  private static PayloadInput secretInput(String pointer, String name, String key) {
    var input = new PayloadInput();
    input.setPointer(pointer);
    input.setSecretKeyRef(new KeyReference(name, key));
    return input;
  }

  private static void configMap(String name, Map<String, String> data) {
    kubernetes
        .client()
        .configMaps()
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withData(data)
                .build())
        .createOr(existing -> existing.update());
  }

  private static void secret(String name, Map<String, byte[]> values) {
    var data = new java.util.TreeMap<String, String>();
    values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v)));
    kubernetes
        .client()
        .secrets()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withData(data)
                .build())
        .createOr(existing -> existing.update());
  }
}
