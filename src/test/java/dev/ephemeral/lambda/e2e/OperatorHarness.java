package dev.ephemeral.lambda.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.KubernetesClientConfig;
import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationSpec;
import dev.ephemeral.lambda.customresource.SecretSpec;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.emulator.LambdaFunction;
import dev.ephemeral.lambda.events.EventRecorder;
import dev.ephemeral.lambda.invoke.AwsLambdaInvoker;
import dev.ephemeral.lambda.invoke.LambdaClientSettings;
import dev.ephemeral.lambda.invoke.RetryPolicy;
import dev.ephemeral.lambda.metrics.OperatorMetrics;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Shard;
import dev.ephemeral.lambda.policy.PolicySettings;
import dev.ephemeral.lambda.sandbox.InProcessKubernetes;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * The real operator (JOSDK loop, reconciler, AWS SDK client) against an in-process Kubernetes API
 * with the generated CRD registered, and a local endpoint speaking the Lambda Invoke API.
 */
final class OperatorHarness implements AutoCloseable {

  static final String NAMESPACE = "shop";
  static final ObjectMapper JSON = new ObjectMapper();

  /** Fast retries, so retry behaviour is observable in seconds. */
  static final RetryPolicy FAST_RETRIES =
      new RetryPolicy(Duration.ofMillis(300), Duration.ofSeconds(1), 2, Duration.ofSeconds(2));

  /** User agent of the operator's own API client, to tell its requests from the test's. */
  static final String OPERATOR_USER_AGENT = "lambda-invocation-operator/test";

  final InProcessKubernetes kubernetes;
  final LambdaEmulator lambda;
  private final RetryPolicy retryPolicy;
  private final int maxInFlight;

  /** Counts reconciles, passing them on to JOSDK's Micrometer metrics. */
  private final ReconcileCounter reconciles = new ReconcileCounter();

  /** Whether the operator enforces LambdaInvocationPolicies; off unless started enforcing. */
  private PolicySettings policy = PolicySettings.OFF;

  /** Where the invoker assumes policies' roles; empty means the SDK's own STS endpoint. */
  private Optional<URI> stsEndpoint = Optional.empty();

  /** Sees every request of the operator's API client, when set (before the operator starts). */
  private Interceptor operatorRequests;

  private AwsLambdaInvoker invoker;
  private LambdaInvocationOperator operator;
  private KubernetesClient operatorClient;
  PrometheusMeterRegistry registry;

  private OperatorHarness(RetryPolicy retryPolicy, int maxInFlight) {
    this.retryPolicy = retryPolicy;
    this.maxInFlight = maxInFlight;
    this.kubernetes = InProcessKubernetes.start();
    this.lambda = LambdaEmulator.start("127.0.0.1", 0);
  }

  /**
   * A function whose every call waits until {@code release} (at most 20 seconds), then answers
   * {@code outcome}: it keeps a call running, and so a slot under the in-flight limit taken.
   */
  static LambdaFunction heldUntil(CountDownLatch release, FunctionOutcome outcome) {
    return call -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return outcome;
    };
  }

  static OperatorHarness start() {
    return start(FAST_RETRIES);
  }

  static OperatorHarness start(RetryPolicy retryPolicy) {
    var harness = new OperatorHarness(retryPolicy, 4);
    harness.startOperator();
    return harness;
  }

  /**
   * An operator with at most {@code maxInFlight} invocations in flight, whose reconciles are
   * counted in {@link #reconciles()}.
   */
  static OperatorHarness startCountingReconciles(RetryPolicy retryPolicy, int maxInFlight) {
    var harness = new OperatorHarness(retryPolicy, maxInFlight);
    harness.startOperator();
    return harness;
  }

  /**
   * An operator enforcing policies ({@code POLICY_MODE=Enforce}) as {@code policy} says, assuming
   * roles through the STS endpoint {@code stsEndpoint} when given.
   */
  static OperatorHarness startEnforcing(PolicySettings policy, Optional<URI> stsEndpoint) {
    var harness = new OperatorHarness(FAST_RETRIES, 4);
    harness.policy = policy;
    harness.stsEndpoint = stsEndpoint;
    harness.startOperator();
    return harness;
  }

  ReconcileCounter reconciles() {
    return reconciles;
  }

  /**
   * Waits until the reconcile that stores the outcome of {@code function}'s latest call (made for
   * {@code name}) is done and no call is queued or running: the call count is final then, unless
   * the status plans a wake-up.
   */
  void awaitCallStored(String name, String function) {
    Instant received =
        lambda.invocations().stream()
            .filter(c -> c.functionName().equals(function))
            .map(c -> c.receivedAt())
            .max(Instant::compareTo)
            .orElseThrow();
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                reconciles.settledAfter(NAMESPACE + "/" + name, received)
                    && operator.inFlight() == 0
                    && operator.waiting() == 0);
  }

  /** Reconcile executions of {@code name} (in {@link #NAMESPACE}) started so far. */
  int reconcilesStarted(String name) {
    return reconciles.started(NAMESPACE + "/" + name);
  }

  /**
   * Waits until the operator has reconciled {@code name} after {@code startedBefore} executions
   * (see {@link #reconcilesStarted}) and has no call queued or running: whatever it decided on the
   * events before that reconcile is done, so "no call" can be asserted right away.
   */
  void awaitDecided(String name, int startedBefore) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                reconciles.settledSince(NAMESPACE + "/" + name, startedBefore)
                    && operator.inFlight() == 0
                    && operator.waiting() == 0);
  }

  OperatorConfig config() {
    return OperatorConfig.single(Set.of(), Optional.of(lambda.endpoint()), maxInFlight, retryPolicy)
        .withPolicy(policy);
  }

  void startOperator() {
    invoker = invoker(lambda, maxInFlight, stsEndpoint);
    operatorClient =
        operatorRequests == null
            ? newClient(kubernetes, OPERATOR_USER_AGENT)
            : new KubernetesClientBuilder()
                .withConfig(
                    KubernetesClientConfig.forApiServer(
                        new ConfigBuilder(kubernetes.client().getConfiguration())
                            .withUserAgent(OPERATOR_USER_AGENT)
                            .build()))
                .withHttpClientBuilderConsumer(
                    http -> http.addOrReplaceInterceptor("test", operatorRequests))
                .build();
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    reconciles.passTo(MicrometerMetrics.withoutPerResourceMetrics(registry));
    var observer =
        InvocationObserver.all(
            List.of(
                new OperatorMetrics(
                    registry,
                    () -> operator == null ? 0 : operator.inFlight(),
                    () -> operator == null ? 0 : operator.waiting(),
                    () -> operator != null && operator.mayStartCalls(),
                    () -> operator == null ? 0 : operator.unreadablePolicies()),
                new EventRecorder(operatorClient, Clock.systemUTC())));
    operator =
        new LambdaInvocationOperator(
            operatorClient,
            config(),
            invoker,
            Clock.systemUTC(),
            observer,
            Optional.of(reconciles),
            Optional.empty());
    operator.start();
  }

  /**
   * From the next start on, every request of the operator's API client passes {@code interceptor}
   * first (which may hold it, as a slow API server would).
   */
  void interceptOperatorRequests(Interceptor interceptor) {
    this.operatorRequests = interceptor;
  }

  void stopOperator() {
    operator.close();
    invoker.close();
    operatorClient.close();
    operator = null;
  }

  /**
   * A client of {@code kubernetes} whose requests carry {@code userAgent}, set up as the operator
   * sets up its own (HTTP/1.1 to this cleartext API); the caller closes it.
   */
  /**
   * The client one operator instance of several uses against {@code kubernetes}, as the installed
   * operator builds it, its requests carrying the user agent {@code
   * lambda-invocation-operator/<identity>} so that the API server's log tells the instances apart.
   */
  static KubernetesClient instanceClient(InProcessKubernetes kubernetes, String identity) {
    return KubernetesClientConfig.newClient(
        new ConfigBuilder(kubernetes.client().getConfiguration())
            .withUserAgent("lambda-invocation-operator/" + identity)
            .build());
  }

  /**
   * The settings of one operator instance of several: 4 calls in flight against {@code lambda},
   * the fast retries, no HTTP port, and {@code shard}.
   */
  static OperatorConfig instanceConfig(
      LambdaEmulator lambda,
      Shard shard,
      boolean leaderElection,
      Optional<String> leaseNamespace,
      PolicySettings policy) {
    return new OperatorConfig(
            Set.of(),
            Optional.of(lambda.endpoint()),
            4,
            0,
            FAST_RETRIES,
            leaderElection,
            leaseNamespace,
            policy)
        .withShard(shard);
  }

  /**
   * An operator instance of several, leading by its own Lease ({@code config}'s, in its lease
   * namespace) as {@code identity} with a Lease of {@code lease}, telling {@code observer} of its
   * invocations and {@code reconciles} of its reconciles. The instance, its invoker and its client
   * go first into {@code closeables}, so that they are closed before what they use.
   */
  static LambdaInvocationOperator leasedInstance(
      KubernetesClient client,
      AwsLambdaInvoker invoker,
      OperatorConfig config,
      String identity,
      Duration lease,
      InvocationObserver observer,
      ReconcileCounter reconciles,
      List<AutoCloseable> closeables) {
    var leaderElection =
        ShortLease.of(config.leaseName(), config.leaseNamespace().orElseThrow(), identity, lease);
    var operator =
        new LambdaInvocationOperator(
            client,
            config,
            invoker,
            Clock.systemUTC(),
            observer,
            Optional.of(reconciles),
            Optional.of(leaderElection));
    closeables.add(0, client);
    closeables.add(0, invoker);
    closeables.add(0, operator);
    return operator;
  }

  /**
   * The real AWS SDK client, signing with static test credentials in eu-west-1, against {@code
   * lambda}, with up to {@code maxConnections} connections.
   */
  static AwsLambdaInvoker invoker(LambdaEmulator lambda, int maxConnections) {
    return invoker(lambda, maxConnections, Optional.empty());
  }

  /** {@link #invoker(LambdaEmulator, int)} assuming roles through {@code stsEndpoint}. */
  static AwsLambdaInvoker invoker(
      LambdaEmulator lambda, int maxConnections, Optional<URI> stsEndpoint) {
    return new AwsLambdaInvoker(
        new LambdaClientSettings(
            Optional.of(lambda.endpoint()),
            Optional.of(Region.EU_WEST_1),
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create("AKIDEXAMPLE", "test-secret")),
            maxConnections,
            stsEndpoint),
        new ObjectMapper());
  }

  static KubernetesClient newClient(InProcessKubernetes kubernetes, String userAgent) {
    return KubernetesClientConfig.newClient(
        new ConfigBuilder(kubernetes.client().getConfiguration()).withUserAgent(userAgent).build());
  }

  LambdaInvocationOperator operator() {
    return operator;
  }

  void restartOperator() {
    stopOperator();
    startOperator();
  }

  KubernetesClient client() {
    return kubernetes.client();
  }

  LambdaInvocation create(LambdaInvocation resource) {
    return client().resource(resource).create();
  }

  LambdaInvocation get(String name) {
    return client().resources(LambdaInvocation.class).inNamespace(NAMESPACE).withName(name).get();
  }

  Secret secret(String name) {
    return client().secrets().inNamespace(NAMESPACE).withName(name).get();
  }

  /** Waits until the Ready condition has {@code reason} for the current generation. */
  LambdaInvocation awaitReason(String name, String reason) {
    return awaitResource(
        name,
        r ->
            r.getStatus() != null
                && r.getStatus().hasReason(reason)
                && r.getMetadata().getGeneration().equals(r.getStatus().getObservedGeneration()));
  }

  LambdaInvocation awaitResource(String name, Predicate<LambdaInvocation> condition) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> get(name), r -> r != null && condition.test(r));
  }

  /** A LambdaInvocation in {@link #NAMESPACE} with the given function and payload (JSON text). */
  static LambdaInvocation invocation(String name, String functionName, String payloadJson) {
    var resource = new LambdaInvocation();
    resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE).build());
    var spec = new LambdaInvocationSpec();
    spec.setFunctionName(functionName);
    spec.setPayload(json(payloadJson));
    resource.setSpec(spec);
    return resource;
  }

  /**
   * Edits a LambdaInvocation as a user would, retrying when the operator's status write got there
   * first (the edit is an optimistic-locking patch).
   */
  static void edit(
      KubernetesClient client,
      String name,
      java.util.function.UnaryOperator<LambdaInvocation> change) {
    for (int attempt = 1; ; attempt++) {
      try {
        client.resources(LambdaInvocation.class).inNamespace(NAMESPACE).withName(name).edit(change);
        return;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 10) {
          throw e;
        }
      }
    }
  }

  /**
   * Asks for an invocation now, as a user would: the invoke-requested-at annotation set to {@code
   * value}.
   */
  static void requestInvocation(KubernetesClient client, String name, String value) {
    edit(
        client,
        name,
        r -> {
          r.getMetadata()
              .getAnnotations()
              .put(LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION, value);
          return r;
        });
  }

  static SecretSpec secretSpec(LambdaInvocation resource) {
    if (resource.getSpec().getSecret() == null) {
      resource.getSpec().setSecret(new SecretSpec());
    }
    return resource.getSpec().getSecret();
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  static Map<String, String> annotations(String key, String value) {
    return Map.of(key, value);
  }

  @Override
  public void close() {
    if (operator != null) {
      stopOperator();
    }
    lambda.close();
    kubernetes.close();
  }
}
