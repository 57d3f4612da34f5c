package dev.ephemeral.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.events.EventRecorder;
import dev.ephemeral.lambda.invoke.AwsLambdaInvoker;
import dev.ephemeral.lambda.invoke.LambdaClientSettings;
import dev.ephemeral.lambda.metrics.OperatorMetrics;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.policy.OperatorIdentity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/** Entry point: {@code java -jar lambda-invocation-operator.jar [run]} runs the operator. */
@Command(
    name = "lambda-invocation-operator",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.VersionProvider.class,
    description =
        "Invokes AWS Lambda functions for LambdaInvocation resources and keeps each result"
            + " in a short-lived Secret.",
    subcommands = {OperatorMain.Run.class})
public final class OperatorMain implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

  public static void main(String[] args) {
    CommonPool.keepTwoWorkers();
    JsonLimits.raiseDefaults();
    System.exit(commandLine().execute(args));
  }

  /** The command line: a bad argument gets one line and a pointer to --help, exit status 2. */
  public static CommandLine commandLine() {
    return withOneLineUsageErrors(new CommandLine(new OperatorMain()));
  }

  /**
   * {@code commandLine} answering a bad argument with one line and a pointer to --help, exit status
   * 2 (the sandbox's main uses it too).
   */
  public static CommandLine withOneLineUsageErrors(CommandLine commandLine) {
    commandLine.setParameterExceptionHandler(
        (e, args) -> {
          var err = e.getCommandLine().getErr();
          err.println(e.getCommandLine().getCommandName() + ": " + e.getMessage());
          err.println(
              "Try '"
                  + e.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help' for the options.");
          err.flush();
          return CommandLine.ExitCode.USAGE;
        });
    return commandLine;
  }

  /** Without a subcommand: run the operator. */
  @Override
  public Integer call() throws Exception {
    return new Run().call();
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      versionProvider = BuildInfo.VersionProvider.class,
      description =
          "Run the operator against the current kubeconfig or in-cluster config,"
              + " configured by environment variables (see docs/operations.md).")
  static final class Run implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
      BuildInfo build = BuildInfo.current();
      LOG.atInfo()
          .addKeyValue("version", build.version())
          .addKeyValue("javaOperatorSdk", build.javaOperatorSdk())
          .addKeyValue("kubernetesClient", build.kubernetesClient())
          .addKeyValue("awsSdk", build.awsSdk())
          .addKeyValue("java", Runtime.version())
          .log("Starting lambda-invocation-operator");
      OperatorConfig config = OperatorConfig.fromEnvironment(System.getenv());
      var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      var running = new AtomicReference<LambdaInvocationOperator>();
      // Up before anything that waits on the network (STS, the API server probe, the informers'
      // first lists): /livez answers 200 and /readyz 503 from the first moments, so a slow start
      // never looks like a dead pod.
      var endpoints =
          HttpEndpoints.start(
              config.httpPort(),
              () -> Optional.ofNullable(running.get()).map(o -> o.isReady()).orElse(false),
              registry);
      var credentials = DefaultCredentialsProvider.builder().build();
      try {
        config =
            config.withPolicy(
                OperatorIdentity.complete(config.policy(), credentials, Optional.empty()));
      } catch (IllegalStateException e) {
        fatal(e.getMessage());
        endpoints.close();
        return 1;
      }
      var settings = LOG.atInfo();
      config.settings().forEach(settings::addKeyValue);
      settings.log("Settings");
      Config kubeConfig = KubernetesClientConfig.forApiServer(Config.autoConfigure(null));
      Optional<String> unreachable = probe(kubeConfig, config);
      if (unreachable.isPresent()) {
        fatal(unreachable.get());
        endpoints.close();
        return 1;
      }
      try (KubernetesClient client = KubernetesClientConfig.newClient(kubeConfig);
          var invoker =
              new AwsLambdaInvoker(
                  new LambdaClientSettings(
                      config.lambdaEndpoint(),
                      Optional.empty(),
                      credentials,
                      config.maxInFlight()),
                  new ObjectMapper())) {
        Clock clock = Clock.systemUTC();
        var stopping = new AtomicBoolean();
        var observer =
            InvocationObserver.all(
                List.of(
                    new OperatorMetrics(
                        registry,
                        () -> Optional.ofNullable(running.get()).map(o -> o.inFlight()).orElse(0),
                        () -> Optional.ofNullable(running.get()).map(o -> o.waiting()).orElse(0),
                        () ->
                            Optional.ofNullable(running.get())
                                .map(o -> o.mayStartCalls())
                                .orElse(false),
                        () ->
                            Optional.ofNullable(running.get())
                                .map(o -> o.unreadablePolicies())
                                .orElse(0)),
                    new EventRecorder(client, clock)));
        var leading = new AtomicBoolean();
        String leaseNamespace =
            config
                .leaseNamespace()
                .orElse(Optional.ofNullable(client.getNamespace()).orElse("default"));
        var lease =
            new LeaderLease(client, leaseNamespace, config.leaseName(), leaderIdentity());
        Optional<LeaderElectionConfiguration> leaderElection =
            config.leaderElection()
                ? Optional.of(
                    LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(
                            config.leaseName())
                        .withLeaseNamespace(leaseNamespace)
                        .withIdentity(lease.identity())
                        // Losing the Lease while running means another replica may lead: exit, and
                        // come back as a standby. Giving it up at shutdown is not that.
                        .withExitOnStopLeading(false)
                        .withLeaderCallbacks(
                            new LeaderCallbacks(
                                () -> {
                                  leading.set(true);
                                  LOG.info("Became the leader");
                                },
                                () -> {
                                  if (!stopping.get()) {
                                    Optional.ofNullable(running.get())
                                        .ifPresent(LambdaInvocationOperator::pauseInvocations);
                                    LOG.error(
                                        "Lost the leader Lease; exiting so that only one replica"
                                            + " invokes");
                                    new Thread(() -> System.exit(1), "exit").start();
                                  }
                                },
                                leader ->
                                    LOG.atInfo()
                                        .addKeyValue("leader", leader)
                                        .log("Leader elected")))
                        .build())
                : Optional.empty();
        var operator =
            new LambdaInvocationOperator(
                client,
                config,
                invoker,
                clock,
                observer,
                Optional.of(MicrometerMetrics.withoutPerResourceMetrics(registry)),
                leaderElection);
        running.set(operator);
        // SIGTERM: stop taking events and let running reconciles finish (up to 10s); only then give
        // up the Lease, so that the standby cannot invoke while this replica still does.
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      LOG.info("Stopping the operator");
                      stopping.set(true);
                      endpoints.operatorStopping();
                      operator.close();
                      if (leading.get()) {
                        lease.releaseIfHeld();
                      }
                      endpoints.close();
                    },
                    "shutdown"));
        try {
          operator.start();
          endpoints.operatorStarted();
        } catch (RuntimeException e) {
          // Such as leader election without leave to use the Lease: say what, not a stack trace.
          fatal("cannot start: " + e.getMessage());
          return 1;
        }
        LOG.atInfo()
            .addKeyValue(
                "namespaces", config.watchNamespaces().isEmpty() ? "all" : config.watchNamespaces())
            .addKeyValue("httpPort", endpoints.port())
            .addKeyValue("leaderElection", config.leaderElection())
            .addKeyValue("policyMode", config.policy().mode())
            .log("Operator started");
        new CountDownLatch(1).await();
        return 0;
      }
    }

    /** java-operator-sdk's own default (the pod name), chosen here so the Lease can be released. */
    private static String leaderIdentity() {
      return Optional.ofNullable(System.getenv("HOSTNAME"))
          .filter(name -> !name.isBlank())
          .orElseGet(() -> UUID.randomUUID().toString());
    }

    /**
     * One quick list, with the same reach as the operator's (all namespaces, or one it watches: a
     * namespaced install has no cluster-wide list), so a missing cluster, CRD or permission is one
     * clear line instead of retries.
     */
    private static Optional<String> probe(Config kubeConfig, OperatorConfig config) {
      Config quick =
          new ConfigBuilder(kubeConfig)
              .withRequestRetryBackoffLimit(0)
              .withConnectionTimeout(5_000)
              .withRequestTimeout(10_000)
              .build();
      try (KubernetesClient client = KubernetesClientConfig.newClient(quick)) {
        var resources = client.resources(LambdaInvocation.class);
        var limitOne = new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build();
        if (config.watchNamespaces().isEmpty()) {
          resources.inAnyNamespace().list(limitOne);
        } else {
          resources.inNamespace(config.watchNamespaces().iterator().next()).list(limitOne);
        }
        return Optional.empty();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          return Optional.of(
              "the LambdaInvocation CRD is not installed in the cluster at "
                  + kubeConfig.getMasterUrl()
                  + ": run kubectl apply -f crds/");
        }
        if (e.getCode() == 401 || e.getCode() == 403) {
          return Optional.of(
              "the Kubernetes API at "
                  + kubeConfig.getMasterUrl()
                  + " refused access (HTTP "
                  + e.getCode()
                  + "): check the credentials and RBAC");
        }
        Throwable root = e;
        while (root.getCause() != null) {
          root = root.getCause();
        }
        return Optional.of(
            "cannot reach the Kubernetes API at "
                + kubeConfig.getMasterUrl()
                + " ("
                + root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : ": " + root.getMessage())
                + ")");
      }
    }
  }

  /**
   * The one line that says why the operator gives up: plain text ({@code
   * lambda-invocation-operator: ...}), or with {@code LOG_FORMAT=json} an ERROR log object like
   * every other line, so that a log pipeline reading JSON keeps it.
   */
  private static void fatal(String message) {
    if ("json".equalsIgnoreCase(System.getenv("LOG_FORMAT"))) {
      LOG.atError().log(message);
    } else {
      System.err.println("lambda-invocation-operator: " + message);
    }
  }
}
