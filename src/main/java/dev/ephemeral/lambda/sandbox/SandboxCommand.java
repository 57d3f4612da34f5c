package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.BuildInfo;
import dev.ephemeral.lambda.KubernetesClientConfig;
import dev.ephemeral.lambda.LambdaInvocationOperator;
import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.invoke.AwsLambdaInvoker;
import dev.ephemeral.lambda.policy.PolicySettings;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import dev.ephemeral.lambda.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * Runs the real operator against an in-process Kubernetes API and a built-in Lambda endpoint,
 * applies the given manifests, waits for every LambdaInvocation to settle and reports the outcome.
 * The operator is configured from the environment as in production, without leader election.
 */
@Command(
    name = "lambda-invocation-sandbox",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.VersionProvider.class,
    sortOptions = false,
    description = {
      // One element per paragraph: picocli wraps each at the usage width.
      "Run the operator with no cluster and no AWS account: an in-process Kubernetes API, a"
          + " built-in Lambda endpoint serving example functions, and the real operator against"
          + " both.",
      "Applies the manifests, waits for each LambdaInvocation, prints a report to stdout (logs go"
          + " to stderr).",
      "The operator reads its environment variables as in production (WATCH_NAMESPACES,"
          + " MAX_INVOCATIONS_IN_FLIGHT, RETRY_*, AWS_REGION, AWS_ENDPOINT_URL_LAMBDA...), without"
          + " leader election.",
      "Exit status: 0 when every LambdaInvocation reached its expected state (Ready, or the reason"
          + " in annotation "
          + Expectation.ANNOTATION
          + "), 1 otherwise, 2 for bad arguments or files."
    })
public final class SandboxCommand implements Callable<Integer> {

  static final int OK = 0;
  static final int UNEXPECTED = 1;
  static final int BAD_INPUT = 2;
  private static final String DEFAULT_NAMESPACE = "default";
  private static final Duration POLL = Duration.ofMillis(200);

  private static final String POLICY_KIND = "LambdaInvocationPolicy";

  /**
   * The account the built-in endpoint's functions live in: a plain function name resolves to it
   * when the files hold a policy (AWS_ACCOUNT_ID overrides it).
   */
  static final String SANDBOX_ACCOUNT = "123456789012";

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "PATH",
      description = "File or directory of manifests to apply; repeatable (default: examples/).")
  List<Path> paths;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description =
          "How long to wait for the LambdaInvocations to settle (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      defaultValue = "0s",
      converter = DurationConverter.class,
      description =
          "Keep running this long after they settle, to watch refresh and expiry (default:"
              + " ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description =
          "table, yaml or json: yaml and json print the LambdaInvocations, their Secrets and the"
              + " workloads their rolloutRestartTargets name, as kubectl get would.")
  SandboxReport.Format output;

  @Option(
      names = "--lambda-endpoint",
      paramLabel = "URL",
      description =
          "Send invocations to this Lambda-compatible endpoint (LocalStack, an emulator) instead of"
              + " the built-in one; takes precedence over AWS_ENDPOINT_URL_LAMBDA and"
              + " AWS_ENDPOINT_URL.")
  URI lambdaEndpoint;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL",
      defaultValue = "WARN",
      description =
          "Level of the operator's own logs on stderr: TRACE, DEBUG, INFO, WARN, ERROR or OFF"
              + " (default: ${DEFAULT-VALUE}).")
  String logLevel;

  @CommandLine.Spec CommandSpec spec;

  /** The operator's settings, the region and the credentials come from here. */
  private final Map<String, String> environment;

  public SandboxCommand(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Integer call() throws Exception {
    return DeepStackRunner.call("lambda-invocation-sandbox", this::runCommand);
  }

  private int runCommand() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      SandboxLogging.setLevel(logLevel);
      SandboxLambda.checkEndpoint(lambdaEndpoint);
      List<Path> sources = paths == null || paths.isEmpty() ? List.of(Path.of("examples")) : paths;
      List<GenericKubernetesResource> objects = new ManifestLoader().load(sources);
      List<String> warnings = new ArrayList<>();
      Map<String, Expectation> expectations = checkInvocations(objects, warnings);
      if (expectations.isEmpty()) {
        throw new ManifestException(
            "no LambdaInvocation found in "
                + sources.stream().map(Path::toString).collect(Collectors.joining(", ")));
      }
      warnings.forEach(warning -> err.println(spec.name() + ": warning: " + warning));
      err.flush();
      return run(objects, expectations, out);
    } catch (ManifestException e) {
      err.println(spec.name() + ": " + e.getMessage());
      err.flush();
      return BAD_INPUT;
    }
  }

  private int run(
      List<GenericKubernetesResource> objects,
      Map<String, Expectation> expectations,
      PrintWriter out)
      throws InterruptedException, ManifestException {
    var counter = new InvocationCounter();
    OperatorConfig production = OperatorConfig.fromEnvironment(environment);
    Optional<URI> external = Optional.ofNullable(lambdaEndpoint).or(production::lambdaEndpoint);
    if (external.isPresent()) {
      SandboxLambda.checkReachable(
          external.get(),
          lambdaEndpoint != null ? "--lambda-endpoint" : OperatorConfig.AWS_ENDPOINT_URL_LAMBDA);
    }
    Optional<LambdaEmulator> builtIn =
        external.isEmpty() ? Optional.of(SandboxLambda.startEmulator()) : Optional.empty();
    URI endpoint = external.orElseGet(() -> builtIn.orElseThrow().endpoint());
    // One replica in one process: no Lease to compete for, and no health or metrics port.
    OperatorConfig config =
        OperatorConfig.single(
            production.watchNamespaces(),
            Optional.of(endpoint),
            production.maxInFlight(),
            production.retryPolicy());
    if (objects.stream().anyMatch(o -> POLICY_KIND.equals(o.getKind()))) {
      // Files with a policy mean to try policies: enforce them, as deploy/ does.
      config =
          config.withPolicy(
              PolicySettings.enforce(
                  production.policy().accountId().orElse(SANDBOX_ACCOUNT),
                  SandboxLambda.region(environment)));
    }
    try (var marked = ExpectedFailures.mark(expectations, spec.commandLine().getErr(), spec.name());
        var kubernetes = InProcessKubernetes.start();
        // The operator's own client, built as in production (deep-stack watch threads).
        var operatorClient = KubernetesClientConfig.newClient(kubernetes.client().getConfiguration());
        var invoker =
            new AwsLambdaInvoker(
                SandboxLambda.lambdaSettings(environment, config, builtIn.isPresent()),
                SandboxJson.mapper());
        var operator =
            new LambdaInvocationOperator(
                operatorClient,
                config,
                invoker,
                Clock.systemUTC(),
                InvocationObserver.all(
                    List.of(
                        counter,
                        new SandboxProgress(
                            spec.commandLine().getErr(), spec.name(), Clock.systemDefaultZone()))))) {
      ManifestApply.placeInNamespaces(new ApiKinds(kubernetes.client()), objects);
      // Everything first, then the operator, which lists it all before judging anything: started
      // first, it judged a LambdaInvocation before the policy later in the files was created, and
      // its NotAllowed could be taken for the outcome.
      ManifestApply.apply(kubernetes.client(), objects);
      operator.start();

      Instant deadline = Instant.now().plus(timeout);
      while (Instant.now().isBefore(deadline)
          && !SandboxResults.allSettled(kubernetes.client(), expectations)) {
        Thread.sleep(POLL.toMillis());
      }
      if (!duration.isZero()) {
        Thread.sleep(duration.toMillis());
      }

      List<LambdaInvocation> invocations =
          SandboxResults.invocations(kubernetes.client(), expectations.keySet());
      Map<String, Secret> secrets = SandboxResults.secrets(kubernetes.client(), invocations);
      out.print(
          SandboxReport.render(
              output,
              invocations,
              secrets,
              SandboxResults.restartTargets(kubernetes.client(), invocations),
              i -> counter.count(i.getMetadata().getNamespace(), i.getMetadata().getName())));
      out.flush();
      boolean allMet =
          invocations.size() == expectations.size()
              && invocations.stream()
                  .allMatch(i -> expectations.get(SandboxReport.key(i)).isMet(i));
      return allMet ? OK : UNEXPECTED;
    } finally {
      builtIn.ifPresent(LambdaEmulator::close);
    }
  }

  /**
   * Checks each LambdaInvocation as the API server would at admission; returns their expectations.
   */
  private Map<String, Expectation> checkInvocations(
      List<GenericKubernetesResource> objects, List<String> warnings) throws ManifestException {
    var serialization = SandboxJson.kubernetesSerialization();
    ObjectMapper mapper = SandboxJson.mapper();
    var validator = new SpecValidator(mapper);
    Set<String> reasons =
        Arrays.stream(ReadyReason.values()).map(Enum::name).collect(Collectors.toSet());
    Map<String, Expectation> expectations = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (GenericKubernetesResource object : objects) {
      if (object.getMetadata().getNamespace() == null) {
        object.getMetadata().setNamespace(DEFAULT_NAMESPACE);
      }
      String id = object.getKind() + " " + SandboxReport.key(object);
      if (!seen.add(object.getApiVersion() + "/" + id)) {
        throw new ManifestException(id + " is defined twice");
      }
      if (isLambdaInvocationPolicy(object)) {
        checkPolicy(id, serialization, object);
        continue;
      }
      if (!isLambdaInvocation(object)) {
        continue;
      }
      pruneNulls(object);
      LambdaInvocation invocation;
      try {
        invocation = serialization.convertValue(object, LambdaInvocation.class);
      } catch (RuntimeException e) {
        throw new ManifestException(id + " does not match the LambdaInvocation schema");
      }
      invocation.getMetadata().setGeneration(1L);
      if (validator.validate(invocation) instanceof SpecValidator.Invalid invalid) {
        throw new ManifestException(id + " is invalid: " + invalid.message());
      }
      ClusterFit.warning(id, mapper, object, invocation.getSpec().getPayload())
          .ifPresent(warnings::add);
      Expectation expectation = Expectation.of(invocation);
      if (!reasons.contains(expectation.reason())) {
        throw new ManifestException(
            id
                + ": annotation "
                + Expectation.ANNOTATION
                + " must name a Ready reason ("
                + String.join(", ", Arrays.stream(ReadyReason.values()).map(Enum::name).toList())
                + "), got '"
                + expectation.reason()
                + "'");
      }
      expectations.put(SandboxReport.key(invocation), expectation);
    }
    return expectations;
  }

  /**
   * Drops the null fields of spec and spec.secret, as the API server prunes a null wherever the
   * CRD's schema allows none: {@code payload: null} then fails as a missing payload.
   */
  private static void pruneNulls(GenericKubernetesResource object) {
    Object spec = object.getAdditionalProperties().get("spec");
    if (spec == null) {
      object.getAdditionalProperties().remove("spec");
    } else if (spec instanceof Map<?, ?> fields) {
      fields.values().removeIf(Objects::isNull);
      if (fields.get("secret") instanceof Map<?, ?> secret) {
        secret.values().removeIf(Objects::isNull);
      }
    }
  }

  /**
   * Refuses a policy whose spec does not fit the model, as the API server refuses one that does not
   * fit the schema: the operator would ignore it, which on a cluster cannot happen to a file
   * applied.
   */
  private static void checkPolicy(
      String id, KubernetesSerialization serialization, GenericKubernetesResource object)
      throws ManifestException {
    LambdaInvocationPolicy policy;
    try {
      policy = serialization.convertValue(object, LambdaInvocationPolicy.class);
    } catch (RuntimeException e) {
      throw new ManifestException(id + " does not match the LambdaInvocationPolicy schema");
    }
    if (policy.getSpec() != null && policy.getSpec().getUnreadable() != null) {
      throw new ManifestException(
          id
              + " does not match the LambdaInvocationPolicy schema: "
              + policy.getSpec().getUnreadable());
    }
  }

  private static boolean isLambdaInvocationPolicy(GenericKubernetesResource object) {
    return POLICY_KIND.equals(object.getKind())
        && (LambdaInvocation.GROUP + "/" + LambdaInvocation.VERSION).equals(object.getApiVersion());
  }

  private static boolean isLambdaInvocation(GenericKubernetesResource object) {
    return "LambdaInvocation".equals(object.getKind())
        && (LambdaInvocation.GROUP + "/" + LambdaInvocation.VERSION).equals(object.getApiVersion());
  }
}
