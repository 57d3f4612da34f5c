package dev.ephemeral.lambda.inputs;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.customresource.SpecRules;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.PayloadSource;
import dev.ephemeral.lambda.secret.DataHash;
import dev.ephemeral.lambda.json.JsonText;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads the values spec.payloadFrom names and merges them into the payload. The ConfigMaps and
 * Secrets are read from the API at each reconcile of a resource that has inputs (the operator
 * watches them only to be told of changes, and keeps none of their data: see {@link InputWatch}).
 *
 * <p>A value from a Secret is as sensitive as the result: it goes into the payload sent to Lambda
 * and into a keyed hash, nowhere else. Messages name the kind, object, key and entry, never a
 * value.
 */
public final class PayloadInputs {

  /** What the inputs gave: a plan whose payload has them merged in, or why there is none. */
  public sealed interface Resolution permits Resolved, Unusable {}

  /**
   * @param plan the plan with the merged payload and {@link InvocationPlan#inputsHash()}
   */
  public record Resolved(InvocationPlan plan) implements Resolution {}

  /**
   * No invocation: an input is missing or unusable (InputMissing), or the merged payload breaks the
   * spec's rules (InvalidSpec).
   */
  public record Unusable(ReadyReason reason, String message) implements Resolution {}

  /** The hash's entry for an optional input that is absent. */
  private static final String ABSENT = "absent";

  private final KubernetesClient client;
  private final DataHash hash;
  private final ObjectMapper mapper;

  public PayloadInputs(KubernetesClient client, DataHash hash, ObjectMapper mapper) {
    this.client = client;
    this.hash = hash;
    this.mapper = mapper;
  }

  /**
   * Reads the inputs of {@code plan} and merges them into the resource's payload; a plan without
   * inputs is resolved as it is, without a request.
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API fails a read
   */
  public Resolution resolve(LambdaInvocation resource, InvocationPlan plan) {
    if (plan.payloadFrom().isEmpty()) {
      return new Resolved(plan);
    }
    String namespace = resource.getMetadata().getNamespace();
    Map<String, Optional<Map<String, String>>> objects = new HashMap<>();
    List<String> missing = new ArrayList<>();
    List<PayloadMerge.Input> values = new ArrayList<>();
    Map<String, String> hashed = new TreeMap<>();
    for (PayloadSource source : plan.payloadFrom()) {
      Optional<Map<String, String>> data =
          objects.computeIfAbsent(
              source.kind() + "/" + source.name(), k -> read(namespace, source));
      String where = source.kind() + " " + source.name();
      Optional<byte[]> value = data.flatMap(d -> value(source, d.get(source.key())));
      String entry = String.format("%03d", source.index());
      if (value.isEmpty()) {
        if (source.optional()) {
          hashed.put(entry, ABSENT);
        } else if (data.isEmpty()) {
          missing.add(where + " (" + source.field() + ") does not exist");
        } else {
          missing.add(where + " has no key " + source.key() + " (" + source.field() + ")");
        }
        continue;
      }
      Parsed parsed = parse(source, value.get());
      if (parsed.value() == null) {
        missing.add(
            where + ", key " + source.key() + " (" + source.field() + "): " + parsed.problem());
        continue;
      }
      hashed.put(entry, Base64.getEncoder().encodeToString(value.get()));
      values.add(new PayloadMerge.Input(source, parsed.value()));
    }
    if (!missing.isEmpty()) {
      return new Unusable(
          ReadyReason.InputMissing,
          String.join("; ", missing)
              + "; nothing is invoked until "
              + (missing.size() == 1 ? "it is" : "they are")
              + " there");
    }
    var merged = PayloadMerge.merge(resource.getSpec().getPayload(), values);
    if (merged instanceof PayloadMerge.Failed failed) {
      return new Unusable(ReadyReason.InvalidSpec, failed.message() + "; fix the spec");
    }
    byte[] payload;
    try {
      payload = JsonText.write(((PayloadMerge.Merged) merged).payload(), mapper);
    } catch (IOException e) {
      return new Unusable(
          ReadyReason.InvalidSpec,
          "spec.payload with spec.payloadFrom merged in: not writable as JSON");
    }
    if (payload.length > SpecRules.PAYLOAD_MAX_BYTES) {
      return new Unusable(
          ReadyReason.InvalidSpec,
          "spec.payload with spec.payloadFrom merged in: serialized it must be at most 6291456"
              + " bytes, got "
              + payload.length
              + "; make the payload or the inputs smaller");
    }
    return new Resolved(plan.withInputs(payload, hash.of(hashed)));
  }

  /** The object's data, as base64 for a Secret and as text for a ConfigMap; empty when absent. */
  private Optional<Map<String, String>> read(String namespace, PayloadSource source) {
    if (source.kind() == PayloadSource.Kind.ConfigMap) {
      ConfigMap configMap =
          client.configMaps().inNamespace(namespace).withName(source.name()).get();
      return Optional.ofNullable(configMap)
          .map(c -> c.getData() == null ? Map.<String, String>of() : c.getData());
    }
    Secret secret = client.secrets().inNamespace(namespace).withName(source.name()).get();
    return Optional.ofNullable(secret)
        .map(s -> s.getData() == null ? Map.<String, String>of() : s.getData());
  }

  /** The value's bytes: a ConfigMap's text as UTF-8, a Secret's base64 decoded. */
  private static Optional<byte[]> value(PayloadSource source, String stored) {
    if (stored == null) {
      return Optional.empty();
    }
    if (source.kind() == PayloadSource.Kind.ConfigMap) {
      return Optional.of(stored.getBytes(StandardCharsets.UTF_8));
    }
    try {
      return Optional.of(Base64.getDecoder().decode(stored));
    } catch (IllegalArgumentException e) {
      // The API server only stores base64 here; anything else is as good as absent.
      return Optional.empty();
    }
  }

  /** An input's value as it enters the payload, or why it cannot (naming the rule, not the value). */
  private record Parsed(JsonNode value, String problem) {}

  /**
   * The value as it enters the payload: a JSON string, or parsed JSON with its numbers as written.
   */
  private static Parsed parse(PayloadSource source, byte[] value) {
    Optional<String> utf8 = JsonText.utf8(value);
    if (utf8.isEmpty()) {
      return new Parsed(null, "not UTF-8 text");
    }
    if (!source.json()) {
      return new Parsed(TextNode.valueOf(utf8.get()), null);
    }
    try {
      return new Parsed(JsonText.read(value, true), null);
    } catch (JsonText.NumberOutOfRangeException e) {
      return new Parsed(
          null,
          "holds a number beyond the range of a 64-bit float (such as 1e400), which the function's"
              + " JSON parser would read as Infinity or refuse; write it as a string");
    } catch (StreamConstraintsException e) {
      return new Parsed(
          null,
          "holds a number longer than "
              + JsonText.MAX_NUMBER_LENGTH
              + " characters, the longest the operator reads");
    } catch (IOException e) {
      // The parser's message quotes the text it choked on: it is dropped, never logged.
      return new Parsed(null, "not JSON text, as format Json needs");
    }
  }
}
