package dev.ephemeral.lambda.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The sandbox's example functions, modelled on the uses in Terraform's {@code
 * aws_lambda_invocation} docs: generated secrets and credentials, computed sizing and
 * configuration, and a compliance gate.
 */
public final class ExampleFunctions {

  public static final String SECRET_GENERATOR = "secret-generator";
  public static final String RESOURCE_OPTIMIZER = "resource-optimizer";
  public static final String COMPLIANCE_CHECKER = "compliance-checker";
  public static final String CONFIG_FETCHER = "config-fetcher";
  public static final String CREDENTIAL_GENERATOR = "credential-generator";
  public static final String ALWAYS_FAILS = "always-fails";
  public static final String REGISTRY_TOKEN = "registry-token";
  public static final String LIMITED_CONCURRENCY = "limited-concurrency";

  /** The reserved concurrency of limited-concurrency: more calls at once are throttled (429). */
  static final int LIMITED_CONCURRENCY_LIMIT = 2;

  static final int DEFAULT_SECRET_LENGTH = 32;
  static final int MAX_SECRET_LENGTH = 1024;
  static final int MIN_BACKUP_RETENTION_DAYS = 7;

  private static final SecureRandom RANDOM = new SecureRandom();

  private ExampleFunctions() {}

  /**
   * Registers every example function, with resource-optimizer's versions 1 to 3 and alias
   * production -> 3.
   */
  public static void registerAll(LambdaEmulator emulator) {
    emulator
        .function(SECRET_GENERATOR, ExampleFunctions::secretGenerator)
        .function(RESOURCE_OPTIMIZER, ExampleFunctions::resourceOptimizer)
        .version(RESOURCE_OPTIMIZER, "1")
        .version(RESOURCE_OPTIMIZER, "2")
        .version(RESOURCE_OPTIMIZER, "3")
        .alias(RESOURCE_OPTIMIZER, "production", "3")
        .function(COMPLIANCE_CHECKER, ExampleFunctions::complianceChecker)
        .function(CONFIG_FETCHER, ExampleFunctions::configFetcher)
        .function(CREDENTIAL_GENERATOR, ExampleFunctions::credentialGenerator)
        .function(ALWAYS_FAILS, ExampleFunctions::alwaysFails)
        .function(REGISTRY_TOKEN, ExampleFunctions::registryToken)
        .function(
            LIMITED_CONCURRENCY,
            new ConcurrencyLimitedFunction(
                LIMITED_CONCURRENCY_LIMIT,
                Duration.ofMillis(200),
                call -> FunctionOutcome.json(Map.of("ok", true))));
  }

  /** {@code {"api_key": 2*length hex chars, "service": .., "environment": ..}}. */
  static FunctionOutcome secretGenerator(FunctionCall call) {
    JsonNode payload = payload(call);
    JsonNode length = payload.path("length");
    int bytes = DEFAULT_SECRET_LENGTH;
    if (!length.isMissingNode() && !length.isNull()) {
      if (!length.canConvertToExactIntegral()
          || length.asLong() < 1
          || length.asLong() > MAX_SECRET_LENGTH) {
        return FunctionOutcome.functionError(
            "Unhandled",
            "ValueError",
            "length must be an integer from 1 to " + MAX_SECRET_LENGTH,
            lambdaLog(List.of("[ERROR] ValueError: invalid length")));
      }
      bytes = length.asInt();
    }
    ObjectNode result = EmulatorJson.MAPPER.createObjectNode();
    result.put("api_key", HexFormat.of().formatHex(randomBytes(bytes)));
    result.set("service", field(payload, "service"));
    result.set("environment", field(payload, "environment"));
    return FunctionOutcome.json(result);
  }

  /**
   * Sizing from {@code workload_type} (web, batch, api) and {@code expected_load} (low, medium,
   * high).
   */
  static FunctionOutcome resourceOptimizer(FunctionCall call) {
    JsonNode payload = payload(call);
    int[] base =
        switch (payload.path("workload_type").asText("web").toLowerCase(Locale.ROOT)) {
          case "batch" -> new int[] {1, 20};
          case "api" -> new int[] {3, 12};
          default -> new int[] {2, 10};
        };
    int min = base[0];
    int max = base[1];
    int desired;
    switch (payload.path("expected_load").asText("medium").toLowerCase(Locale.ROOT)) {
      case "low" -> desired = min;
      case "high" -> {
        min *= 2;
        desired = max;
        max *= 2;
      }
      default -> desired = (min + max) / 2;
    }
    ObjectNode result =
        EmulatorJson.MAPPER
            .createObjectNode()
            .put("min_instances", min)
            .put("max_instances", max)
            .put("desired_instances", desired);
    return FunctionOutcome.json(result);
  }

  /**
   * Checks {@code resource_config} against a few rules; the log names each rule and its verdict
   * only.
   */
  static FunctionOutcome complianceChecker(FunctionCall call) {
    JsonNode config = payload(call).path("resource_config");
    List<String> violations = new ArrayList<>();
    List<String> log = new ArrayList<>();
    if (!config.isObject()) {
      violations.add("resource_config must be an object");
      log.add("[WARN] resource_config missing or not an object");
    } else {
      JsonNode encryption = config.path("encryption");
      check(
          log,
          violations,
          "encryption",
          encryption.isBoolean() && encryption.booleanValue(),
          "encryption must be enabled");
      JsonNode publicAccess = config.path("public_access");
      check(
          log,
          violations,
          "public_access",
          publicAccess.isMissingNode()
              || (publicAccess.isBoolean() && !publicAccess.booleanValue()),
          "public_access must be disabled");
      JsonNode retention = config.path("backup_retention_days");
      check(
          log,
          violations,
          "backup_retention_days",
          retention.isMissingNode()
              || (retention.canConvertToExactIntegral()
                  && retention.asLong() >= MIN_BACKUP_RETENTION_DAYS),
          "backup_retention_days must be at least " + MIN_BACKUP_RETENTION_DAYS);
    }
    ObjectNode result =
        EmulatorJson.MAPPER.createObjectNode().put("compliant", violations.isEmpty());
    ArrayNode list = result.putArray("violations");
    violations.forEach(list::add);
    return FunctionOutcome.result(json(result), lambdaLog(log));
  }

  /**
   * Deployment settings, labelled with {@code source} and {@code version} from the client context.
   */
  static FunctionOutcome configFetcher(FunctionCall call) {
    JsonNode context = NullNode.getInstance();
    if (call.clientContextJson() != null) {
      try {
        context = EmulatorJson.MAPPER.readTree(call.clientContextJson());
      } catch (IOException e) {
        context = NullNode.getInstance();
      }
    }
    if (context.path("custom").isObject()) {
      context = context.path("custom");
    }
    ObjectNode result =
        EmulatorJson.MAPPER
            .createObjectNode()
            .put("replica_count", 3)
            .put("max_percent", 200)
            .put("min_healthy_percent", 50)
            .put("source", context.path("source").asText("unknown"))
            .put("version", context.path("version").asText("latest"));
    return FunctionOutcome.json(result);
  }

  /**
   * A throwaway database credential that expires in an hour; with {@code "action": "revoke"} (the
   * delete-time call) it confirms the revocation instead.
   */
  static FunctionOutcome credentialGenerator(FunctionCall call) {
    if ("revoke".equals(payload(call).path("action").asText())) {
      ObjectNode revoked = EmulatorJson.MAPPER.createObjectNode().put("revoked", true);
      revoked.set("database", field(payload(call), "database"));
      return FunctionOutcome.json(revoked);
    }
    ObjectNode result =
        EmulatorJson.MAPPER
            .createObjectNode()
            .put("username", "app_" + HexFormat.of().formatHex(randomBytes(4)))
            .put(
                "password", Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(24)))
            .put(
                "expires_at",
                Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS).toString());
    result.set("database", field(payload(call), "database"));
    return FunctionOutcome.json(result);
  }

  /**
   * A registry login valid for 12 hours, as ECR's GetAuthorizationToken hands out: {@code
   * {"registry": the payload's registry, "username": "AWS", "password": .., "expires_at": ..}}.
   */
  static FunctionOutcome registryToken(FunctionCall call) {
    JsonNode registry = payload(call).path("registry");
    if (!registry.isTextual() || registry.asText().isBlank()) {
      return FunctionOutcome.functionError(
          "Unhandled",
          "ValueError",
          "registry must be a registry host name",
          lambdaLog(List.of("[ERROR] ValueError: invalid registry")));
    }
    ObjectNode result =
        EmulatorJson.MAPPER
            .createObjectNode()
            .put("registry", registry.asText())
            .put("username", "AWS")
            .put("password", Base64.getEncoder().encodeToString(randomBytes(48)))
            .put(
                "expires_at",
                Instant.now()
                    .plus(Duration.ofHours(12))
                    .truncatedTo(ChronoUnit.SECONDS)
                    .toString());
    return FunctionOutcome.json(result);
  }

  /** Fails every time, as an unhandled exception does. */
  static FunctionOutcome alwaysFails(FunctionCall call) {
    return FunctionOutcome.functionError(
        "Unhandled",
        "RuntimeError",
        "simulated failure",
        lambdaLog(List.of("[ERROR] RuntimeError: simulated failure")));
  }

  private static void check(
      List<String> log, List<String> violations, String rule, boolean passed, String violation) {
    log.add("rule " + rule + ": " + (passed ? "pass" : "fail"));
    if (!passed) {
      violations.add(violation);
    }
  }

  /** The function's own log lines; the emulator adds START, END and REPORT as Lambda does. */
  private static String lambdaLog(List<String> lines) {
    return lines.stream().map(line -> line + "\n").collect(Collectors.joining());
  }

  private static JsonNode payload(FunctionCall call) {
    try {
      return EmulatorJson.MAPPER.readTree(call.payload());
    } catch (IOException e) {
      return NullNode.getInstance();
    }
  }

  private static JsonNode field(JsonNode payload, String name) {
    JsonNode value = payload.get(name);
    return value == null ? NullNode.getInstance() : value;
  }

  private static byte[] json(JsonNode value) {
    try {
      return EmulatorJson.MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
