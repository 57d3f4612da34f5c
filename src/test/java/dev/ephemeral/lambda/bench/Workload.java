package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.invoke.InvocationRequest;
import dev.ephemeral.lambda.invoke.LambdaClientSettings;
import dev.ephemeral.lambda.model.InvocationPlan;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * What both runs do: {@code resources} calls of one function that answers after {@code latency},
 * each with its own payload, at most {@code inFlight} at once.
 */
record Workload(int resources, Duration latency, int inFlight) {

  static final String FUNCTION = "bench-function";

  /** Registers the function on the endpoint: a small JSON result after the latency. */
  void register(LambdaEmulator emulator) {
    emulator.function(
        FUNCTION,
        call -> FunctionOutcome.delay(latency, FunctionOutcome.json(Map.of("token", "t"))));
  }

  /** The payload of resource (or call) number {@code index}. */
  static JsonNode payload(int index) {
    return JsonNodeFactory.instance.objectNode().put("index", index);
  }

  /** The call the operator makes for resource number {@code index}, made directly. */
  static InvocationRequest request(int index) {
    return new InvocationRequest(
        FUNCTION,
        null,
        null,
        payload(index).toString().getBytes(StandardCharsets.UTF_8),
        null,
        false,
        InvocationPlan.DEFAULT_TIMEOUT);
  }

  /** The same AWS SDK client settings for both runs: its connection pool fits the limit. */
  LambdaClientSettings clientSettings(URI endpoint) {
    return new LambdaClientSettings(
        Optional.of(endpoint),
        Optional.of(Region.EU_WEST_1),
        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDBENCH", "bench-secret")),
        inFlight);
  }

  Workload withResources(int count) {
    return new Workload(count, latency, inFlight);
  }
}
