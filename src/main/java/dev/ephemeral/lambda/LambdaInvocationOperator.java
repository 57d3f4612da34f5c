package dev.ephemeral.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.inputs.PayloadInputs;
import dev.ephemeral.lambda.invoke.CallEventSource;
import dev.ephemeral.lambda.invoke.CallGate;
import dev.ephemeral.lambda.invoke.LambdaInvoker;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.policy.PolicyEnforcement;
import dev.ephemeral.lambda.policy.PolicyStatusReconciler;
import dev.ephemeral.lambda.reconciler.LambdaInvocationReconciler;
import dev.ephemeral.lambda.secret.DataHash;
import dev.ephemeral.lambda.secret.DataHashKeySecret;
import dev.ephemeral.lambda.secret.ResultSecret;
import dev.ephemeral.lambda.validation.SpecValidator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator assembled: the JOSDK loop with the LambdaInvocation reconciler and the queue its
 * Lambda calls run on. The same assembly runs in production, in the tests and in the sandbox; only
 * the clients passed in differ.
 */
public final class LambdaInvocationOperator implements AutoCloseable {

  /** How long a stop waits for calls in flight to finish and be stored. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(10);

  /** Reconcile threads: a reconcile never waits on Lambda, so a few suffice for any limit. */
  private static final int RECONCILE_THREADS = 10;

  private static final Logger LOG = LoggerFactory.getLogger(LambdaInvocationOperator.class);

  static {
    JsonLimits.raiseDefaults();
  }

  private final Operator operator;
  private final CallEventSource<?> calls;
  private final KubernetesClient client;
  private final String ownNamespace;
  private final DataHash dataHash = DataHash.keyedLater();
  private final PolicyEnforcement policies;

  /** With leader election: whether this replica may start calls, and what tells it. */
  private final Optional<LeaseGuard> leaseGuard;

  private final Optional<LeasePoller> leasePoller;

  public LambdaInvocationOperator(
      KubernetesClient client, OperatorConfig config, LambdaInvoker invoker, Clock clock) {
    this(client, config, invoker, clock, InvocationObserver.NONE);
  }

  public LambdaInvocationOperator(
      KubernetesClient client,
      OperatorConfig config,
      LambdaInvoker invoker,
      Clock clock,
      InvocationObserver observer) {
    this(client, config, invoker, clock, observer, Optional.empty(), Optional.empty());
  }

  /**
   * @param frameworkMetrics JOSDK's reconcile metrics, if collected
   * @param leaderElection leader election settings, with this replica's identity; empty runs
   *     without
   * @throws IllegalArgumentException when leader election has no identity
   */
  public LambdaInvocationOperator(
      KubernetesClient client,
      OperatorConfig config,
      LambdaInvoker invoker,
      Clock clock,
      InvocationObserver observer,
      Optional<Metrics> frameworkMetrics,
      Optional<LeaderElectionConfiguration> leaderElection) {
    ObjectMapper mapper = new ObjectMapper();
    this.client = client;
    this.ownNamespace =
        config.leaseNamespace().orElse(Optional.ofNullable(client.getNamespace()).orElse("default"));
    if (leaderElection.isPresent()) {
      var election = leaderElection.get();
      String identity =
          election
              .getIdentity()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "leader election needs this replica's identity, to find its renewals in"
                              + " the Lease"));
      // As the framework's elector: the client's namespace unless one is given (without either,
      // the framework refuses to start).
      String leaseNamespace = election.getLeaseNamespace().orElse(ownNamespace);
      var guard =
          new LeaseGuard(
              leaseNamespace + "/" + election.getLeaseName(),
              identity,
              election.getRenewDeadline(),
              clock);
      leaseGuard = Optional.of(guard);
      leasePoller =
          Optional.of(
              new LeasePoller(
                  client,
                  leaseNamespace,
                  election.getLeaseName(),
                  identity,
                  election.getRetryPeriod(),
                  election.getRenewDeadline(),
                  guard,
                  clock));
    } else {
      leaseGuard = Optional.empty();
      leasePoller = Optional.empty();
    }
    policies = new PolicyEnforcement(config.policy());
    var reconciler =
        new LambdaInvocationReconciler(
            new SpecValidator(mapper),
            invoker,
            config.maxInFlight(),
            config.maxInFlightPerFunction(),
            leaseGuard.<CallGate>map(guard -> guard).orElse(CallGate.OPEN),
            new ResultSecret(mapper, dataHash, config.shard()),
            config.retryPolicy(),
            clock,
            observer,
            new PayloadInputs(client, dataHash, mapper),
            policies);
    calls = reconciler.calls();
    operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withResourceCloner(new ResourceCloner(client))
                  // Status is written with updates, Secrets with create/update: no server-side
                  // apply anywhere.
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  .withCloseClientOnStop(false)
                  // A reconcile clones, validates and writes back the resource, payload and all:
                  // threads deep enough for the deepest payload the API server accepts.
                  .withExecutorService(
                      Executors.newFixedThreadPool(
                          RECONCILE_THREADS, JsonLimits.deepStackThreads("reconciler")))
                  .withStopOnInformerErrorDuringStartup(true)
                  .withCacheSyncTimeout(Duration.ofMinutes(2))
                  .withReconciliationTerminationTimeout(Duration.ofSeconds(10));
              frameworkMetrics.ifPresent(o::withMetrics);
              leaderElection.ifPresent(o::withLeaderElectionConfiguration);
            });
    operator.register(
        reconciler,
        c -> {
          // Only this shard's resources: another instance (another shard) takes the rest.
          c.withLabelSelector(config.shard().selector());
          if (!config.watchNamespaces().isEmpty()) {
            c.settingNamespaces(config.watchNamespaces());
          }
        });
    if (policies.enforced() && config.shard().name().isEmpty()) {
      // Policies are cluster-scoped: watched cluster-wide whatever WATCH_NAMESPACES says. Their
      // status has one writer, the instance without a shard: a shard sees only its own
      // LambdaInvocations, so the ties it finds differ, and two writers would overwrite each other.
      // A shard still enforces every policy; a tie among its resources shows on those resources.
      operator.register(new PolicyStatusReconciler(policies, observer::policyIgnored, clock));
    }
  }

  /** No new invocations from now on: this replica is about to exit (it lost its Lease). */
  public void pauseInvocations() {
    calls.stopAccepting();
  }

  /**
   * Reads (or, the first time, creates; or, when it holds no usable key, replaces) the data-hash
   * key in the operator's namespace, then starts the framework.
   *
   * @throws IllegalStateException when the data-hash key cannot be read, created or replaced
   */
  public void start() {
    dataHash.useKey(DataHashKeySecret.load(client, ownNamespace));
    operator.start();
    leasePoller.ifPresent(LeasePoller::start);
  }

  /** Informers started and healthy. A standby replica (not the leader) is ready too. */
  public boolean isReady() {
    var runtime = operator.getRuntimeInfo();
    return runtime.isStarted() && runtime.allEventSourcesAreHealthy();
  }

  /** Lambda calls running now. */
  public int inFlight() {
    return calls.inFlight();
  }

  /**
   * Lambda calls waiting for a free slot under the in-flight limit, or for this replica to confirm
   * its leader Lease.
   */
  public int waiting() {
    return calls.waiting() + leaseGuard.map(LeaseGuard::waiting).orElse(0);
  }

  /**
   * Whether this replica may start Lambda calls now: always without leader election; with it, only
   * while it has confirmed its Lease within the renew deadline.
   */
  public boolean mayStartCalls() {
    return leaseGuard.map(LeaseGuard::mayStartCall).orElse(true);
  }

  /** LambdaInvocationPolicies ignored because their spec does not fit the model. */
  public int unreadablePolicies() {
    return policies.unreadable();
  }

  /**
   * Stops: no call is started from now on; calls in flight get {@link #STOP_GRACE} to finish and
   * be stored (their Secret and status both written, while the framework still runs), then the
   * framework stops. A call still running after that is abandoned: nothing of it is written.
   */
  @Override
  public void close() {
    calls.stopAccepting();
    try {
      if (!calls.awaitSettled(STOP_GRACE)) {
        LOG.atWarn()
            .addKeyValue("inFlight", calls.inFlight())
            .log("Stopping with invocations still in flight; their results are not stored");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    operator.stop();
    calls.close();
    leasePoller.ifPresent(LeasePoller::close);
  }
}
