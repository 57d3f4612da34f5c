package dev.ephemeral.lambda.config;

import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.model.Shard;
import dev.ephemeral.lambda.policy.PolicyMode;
import dev.ephemeral.lambda.policy.PolicySettings;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's settings, read from environment variables in this one place. A bad value is logged
 * and replaced by its default, so a typo never crash-loops the operator.
 *
 * @param watchNamespaces namespaces to watch; empty means all
 * @param lambdaEndpoint endpoint override for Lambda (LocalStack, tests); empty means AWS
 * @param maxInFlight the most invocations in flight at once
 * @param httpPort port of the health and metrics endpoints
 * @param leaderElection whether replicas elect a leader through a Lease (only the leader invokes)
 * @param leaseNamespace namespace of the Lease; empty means the client's namespace
 * @param policy whether and how LambdaInvocationPolicies are enforced
 * @param shard the slice of the LambdaInvocations this instance takes, and its Lease
 * @param maxInFlightPerFunction the most invocations of one function in flight at once (at most
 *     {@code maxInFlight}); Lambda's throttling lowers it further while it lasts
 */
public record OperatorConfig(
    Set<String> watchNamespaces,
    Optional<URI> lambdaEndpoint,
    int maxInFlight,
    int httpPort,
    RetryPolicy retryPolicy,
    boolean leaderElection,
    Optional<String> leaseNamespace,
    PolicySettings policy,
    Shard shard,
    int maxInFlightPerFunction) {

  /** Settings of the instance without a shard name. */
  public OperatorConfig(
      Set<String> watchNamespaces,
      Optional<URI> lambdaEndpoint,
      int maxInFlight,
      int httpPort,
      RetryPolicy retryPolicy,
      boolean leaderElection,
      Optional<String> leaseNamespace,
      PolicySettings policy) {
    this(
        watchNamespaces,
        lambdaEndpoint,
        maxInFlight,
        httpPort,
        retryPolicy,
        leaderElection,
        leaseNamespace,
        policy,
        Shard.NONE,
        maxInFlight);
  }

  /** Settings without policy enforcement (POLICY_MODE=Off). */
  public OperatorConfig(
      Set<String> watchNamespaces,
      Optional<URI> lambdaEndpoint,
      int maxInFlight,
      int httpPort,
      RetryPolicy retryPolicy,
      boolean leaderElection,
      Optional<String> leaseNamespace) {
    this(
        watchNamespaces,
        lambdaEndpoint,
        maxInFlight,
        httpPort,
        retryPolicy,
        leaderElection,
        leaseNamespace,
        PolicySettings.OFF);
  }

  /** The same settings with {@code policy} enforced as given. */
  public OperatorConfig withPolicy(PolicySettings policy) {
    return new OperatorConfig(
        watchNamespaces,
        lambdaEndpoint,
        maxInFlight,
        httpPort,
        retryPolicy,
        leaderElection,
        leaseNamespace,
        policy,
        shard,
        maxInFlightPerFunction);
  }

  /** The same settings for the instance of {@code shard}. */
  public OperatorConfig withShard(Shard shard) {
    return new OperatorConfig(
        watchNamespaces,
        lambdaEndpoint,
        maxInFlight,
        httpPort,
        retryPolicy,
        leaderElection,
        leaseNamespace,
        policy,
        shard,
        maxInFlightPerFunction);
  }

  /** The same settings with at most {@code max} invocations of one function in flight. */
  public OperatorConfig withMaxInFlightPerFunction(int max) {
    return new OperatorConfig(
        watchNamespaces,
        lambdaEndpoint,
        maxInFlight,
        httpPort,
        retryPolicy,
        leaderElection,
        leaseNamespace,
        policy,
        shard,
        max);
  }

  /** The Lease this instance's replicas compete for: one per shard. */
  public String leaseName() {
    return shard.leaseName(LEASE_NAME);
  }

  /** Settings for an operator without leader election (the sandbox, tests). */
  public static OperatorConfig single(
      Set<String> watchNamespaces,
      Optional<URI> lambdaEndpoint,
      int maxInFlight,
      RetryPolicy retryPolicy) {
    return new OperatorConfig(
        watchNamespaces, lambdaEndpoint, maxInFlight, 0, retryPolicy, false, Optional.empty());
  }

  public static final String WATCH_NAMESPACES = "WATCH_NAMESPACES";
  public static final String MAX_INVOCATIONS_IN_FLIGHT = "MAX_INVOCATIONS_IN_FLIGHT";
  public static final String HTTP_PORT = "HTTP_PORT";
  public static final String AWS_ENDPOINT_URL_LAMBDA = "AWS_ENDPOINT_URL_LAMBDA";
  public static final String AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL";
  public static final String RETRY_INITIAL_BACKOFF = "RETRY_INITIAL_BACKOFF";
  public static final String RETRY_MAX_BACKOFF = "RETRY_MAX_BACKOFF";
  public static final String RETRY_MAX_RETRIES = "RETRY_MAX_RETRIES";
  public static final String RETRY_SLOW_INTERVAL = "RETRY_SLOW_INTERVAL";
  public static final String LEADER_ELECTION = "LEADER_ELECTION";
  public static final String POD_NAMESPACE = "POD_NAMESPACE";
  public static final String POLICY_MODE = "POLICY_MODE";
  public static final String AWS_ACCOUNT_ID = "AWS_ACCOUNT_ID";
  public static final String AWS_REGION = "AWS_REGION";
  public static final String SHARD = "SHARD";
  public static final String MAX_IN_FLIGHT_PER_FUNCTION = "MAX_IN_FLIGHT_PER_FUNCTION";

  /** Name of the Lease that the replicas compete for; a shard's appends its name. */
  public static final String LEASE_NAME = "lambda-invocation-operator";

  public static final int DEFAULT_MAX_IN_FLIGHT = 10;
  public static final int DEFAULT_HTTP_PORT = 8080;

  private static final Logger LOG = LoggerFactory.getLogger(OperatorConfig.class);

  /**
   * The settings in force, by the environment variable that sets each, for the log at start. None
   * is secret; the Lambda endpoint is shown without user info or query, which could carry one.
   */
  public Map<String, Object> settings() {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put(
        WATCH_NAMESPACES,
        watchNamespaces.isEmpty() ? "all" : String.join(",", new TreeSet<>(watchNamespaces)));
    settings.put(
        AWS_ENDPOINT_URL_LAMBDA,
        lambdaEndpoint.map(OperatorConfig::withoutUserInfoOrQuery).orElse("AWS"));
    settings.put(MAX_INVOCATIONS_IN_FLIGHT, maxInFlight);
    settings.put(MAX_IN_FLIGHT_PER_FUNCTION, maxInFlightPerFunction);
    settings.put(SHARD, shard.name().orElse("(none: the resources without the shard label)"));
    settings.put(HTTP_PORT, httpPort);
    settings.put(RETRY_INITIAL_BACKOFF, retryPolicy.initialBackoff());
    settings.put(RETRY_MAX_BACKOFF, retryPolicy.maxBackoff());
    settings.put(RETRY_MAX_RETRIES, retryPolicy.maxRetries());
    settings.put(RETRY_SLOW_INTERVAL, retryPolicy.slowInterval());
    settings.put(LEADER_ELECTION, leaderElection);
    settings.put(POD_NAMESPACE, leaseNamespace.orElse("(the client's namespace)"));
    settings.put(POLICY_MODE, policy.mode());
    settings.put(AWS_ACCOUNT_ID, policy.accountId().orElse("(unset)"));
    settings.put(AWS_REGION, policy.defaultRegion().orElse("(unset)"));
    return settings;
  }

  public static OperatorConfig fromEnvironment(Map<String, String> env) {
    var reader = new Reader(env);
    RetryPolicy defaults = RetryPolicy.DEFAULT;
    return new OperatorConfig(
        reader.read(WATCH_NAMESPACES, Set.of(), OperatorConfig::namespaces),
        reader.read(
            AWS_ENDPOINT_URL_LAMBDA,
            reader.read(AWS_ENDPOINT_URL, Optional.empty(), OperatorConfig::uri),
            OperatorConfig::uri),
        reader.read(MAX_INVOCATIONS_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT, v -> positive(v, 1000)),
        reader.read(HTTP_PORT, DEFAULT_HTTP_PORT, v -> positive(v, 65535)),
        new RetryPolicy(
            reader.read(RETRY_INITIAL_BACKOFF, defaults.initialBackoff(), OperatorConfig::duration),
            reader.read(RETRY_MAX_BACKOFF, defaults.maxBackoff(), OperatorConfig::duration),
            reader.read(RETRY_MAX_RETRIES, defaults.maxRetries(), v -> nonNegative(v, 100)),
            reader.read(RETRY_SLOW_INTERVAL, defaults.slowInterval(), OperatorConfig::duration)),
        reader.read(LEADER_ELECTION, true, OperatorConfig::bool),
        reader.read(POD_NAMESPACE, Optional.empty(), v -> Optional.of(v)),
        new PolicySettings(
            policyMode(env.get(POLICY_MODE)),
            reader.read(AWS_ACCOUNT_ID, Optional.empty(), OperatorConfig::account),
            reader.read(AWS_REGION, Optional.empty(), v -> Optional.of(v))),
        shard(env.get(SHARD)),
        reader.read(
            MAX_IN_FLIGHT_PER_FUNCTION,
            reader.read(MAX_INVOCATIONS_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT, v -> positive(v, 1000)),
            v -> positive(v, 1000)));
  }

  /**
   * No shard when unset. A value that is not a shard name fails closed, to no shard: that
   * instance then competes for the Lease of the instance without a shard instead of taking a
   * slice no Lease guards, so no resource is invoked by two leaders.
   */
  private static Shard shard(String raw) {
    if (raw == null || raw.isBlank()) {
      return Shard.NONE;
    }
    try {
      return Shard.named(raw.trim());
    } catch (IllegalArgumentException e) {
      LOG.atWarn()
          .addKeyValue("variable", SHARD)
          .addKeyValue("value", raw)
          .log("Ignoring invalid environment variable, taking the resources without a shard: {}",
              e.getMessage());
      return Shard.NONE;
    }
  }

  /**
   * Off when unset; a value that is neither Off nor Enforce fails closed, to Enforce: a typo must
   * not switch the tenants' fences off.
   */
  private static PolicyMode policyMode(String raw) {
    if (raw == null || raw.isBlank()) {
      return PolicyMode.Off;
    }
    for (PolicyMode mode : PolicyMode.values()) {
      if (mode.name().equalsIgnoreCase(raw.trim())) {
        return mode;
      }
    }
    LOG.atWarn()
        .addKeyValue("variable", POLICY_MODE)
        .addKeyValue("value", raw)
        .addKeyValue("default", PolicyMode.Enforce)
        .log("Ignoring invalid environment variable, enforcing policies: must be Off or Enforce");
    return PolicyMode.Enforce;
  }

  private static String withoutUserInfoOrQuery(URI uri) {
    return uri.getScheme()
        + "://"
        + uri.getHost()
        + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + Optional.ofNullable(uri.getRawPath()).orElse("");
  }

  private static Optional<String> account(String raw) {
    if (!raw.matches("[0-9]{12}")) {
      throw new IllegalArgumentException("must be a 12-digit AWS account ID");
    }
    return Optional.of(raw);
  }

  private static boolean bool(String raw) {
    if (raw.equalsIgnoreCase("true")) {
      return true;
    }
    if (raw.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException("must be true or false");
  }

  private record Reader(Map<String, String> env) {
    <T> T read(String name, T fallback, Function<String, T> parse) {
      String raw = env.get(name);
      if (raw == null || raw.isBlank()) {
        return fallback;
      }
      try {
        return parse.apply(raw.trim());
      } catch (RuntimeException e) {
        LOG.atWarn()
            .addKeyValue("variable", name)
            .addKeyValue("value", raw)
            .addKeyValue("default", fallback)
            .log("Ignoring invalid environment variable, using the default: {}", e.getMessage());
        return fallback;
      }
    }
  }

  private static Set<String> namespaces(String raw) {
    return Arrays.stream(raw.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }

  private static Optional<URI> uri(String raw) {
    URI uri = URI.create(raw);
    if (uri.getScheme() == null || uri.getHost() == null) {
      throw new IllegalArgumentException("not an absolute http(s) URL");
    }
    return Optional.of(uri);
  }

  private static int positive(String raw, int max) {
    int value = Integer.parseInt(raw);
    if (value < 1 || value > max) {
      throw new IllegalArgumentException("must be between 1 and " + max);
    }
    return value;
  }

  private static int nonNegative(String raw, int max) {
    int value = Integer.parseInt(raw);
    if (value < 0 || value > max) {
      throw new IllegalArgumentException("must be between 0 and " + max);
    }
    return value;
  }

  private static Duration duration(String raw) {
    try {
      Duration value = io.fabric8.kubernetes.api.model.Duration.parse(raw).getDuration();
      if (value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException("must be positive");
      }
      return value;
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a duration such as 30s or 5m");
    }
  }
}
