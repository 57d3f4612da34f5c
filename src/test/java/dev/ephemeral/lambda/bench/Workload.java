package dev.ephemeral.lambda.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.ephemeral.lambda.emulator.ConcurrencyLimitedFunction;
import dev.ephemeral.lambda.emulator.FunctionCall;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.emulator.LambdaFunction;
import dev.ephemeral.lambda.invoke.InvocationRequest;
import dev.ephemeral.lambda.invoke.LambdaClientSettings;
import dev.ephemeral.lambda.model.InvocationPlan;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * What both runs do: {@code resources} calls of one function that answers after {@code latency},
 * each with its own payload, at most {@code inFlight} at once.
 *
 * @param functionConcurrency the most executions the function runs at once, answering 429 past it
 *     as Lambda does for a function with reserved concurrency; 0 for no limit
 */
record Workload(int resources, Duration latency, int inFlight, int functionConcurrency) {

  static final String FUNCTION = "bench-function";

  /**
   * Registers the function on the endpoint: a small JSON result after the latency, with at most
   * {@code functionConcurrency} executions at once if that is set; {@code ran} is told of each call
   * that runs, before its latency.
   */
  void register(LambdaEmulator emulator, Consumer<FunctionCall> ran) {
    LambdaFunction code =
        call -> {
          ran.accept(call);
          return FunctionOutcome.json(Map.of("token", "t"));
        };
    emulator.function(
        FUNCTION,
        functionConcurrency > 0
            ? new ConcurrencyLimitedFunction(functionConcurrency, latency, code)
            : call -> FunctionOutcome.delay(latency, code.handle(call)));
  }

  /** The resource number a call was made for, from its payload. */
  static int index(JsonNode payload) {
    return payload.get("index").asInt();
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

  /** How many calls can run at once: the in-flight limit, or the function's if lower. */
  int concurrency() {
    return functionConcurrency > 0 ? Math.min(inFlight, functionConcurrency) : inFlight;
  }

  Workload withResources(int count) {
    return new Workload(count, latency, inFlight, functionConcurrency);
  }
}
