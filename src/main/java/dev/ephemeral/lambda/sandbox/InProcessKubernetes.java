package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.core.JsonFactory;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Kubernetes API in this process: fabric8's CRUD mock server on loopback, its store indexed by
 * object key ({@link KeyIndexedCrudDispatcher}) so that it holds tens of thousands of objects, with
 * the operator's generated CRD registered so the status subresource behaves as on a cluster (a
 * status write changes only status, the generation moves only with the spec). It applies no schema,
 * CEL rules or garbage collection. A SelfSubjectRulesReview (leader election's permission check) is
 * answered with leave to use Leases. Every request is recorded with the client's user agent.
 */
public final class InProcessKubernetes implements AutoCloseable {

  /** The CRD as generated from the model at build time, packaged in the jar. */
  public static final String CRD_RESOURCE =
      "/META-INF/fabric8/lambdainvocations.lambda.ephemeral.dev-v1.yml";

  /** The LambdaInvocationPolicy CRD, generated and packaged the same way. */
  public static final String POLICY_CRD_RESOURCE =
      "/META-INF/fabric8/lambdainvocationpolicies.lambda.ephemeral.dev-v1.yml";

  /** The mock server logs every request through java.util.logging at INFO; keep that quiet. */
  private static final java.util.logging.Logger MOCK_SERVER_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
    // The mock server parses and writes objects with fabric8's shared mapper: let it take as deep
    // an object as an API server does.
    JsonFactory shared = Serialization.jsonMapper().getFactory();
    shared.setStreamReadConstraints(SandboxJson.factory().streamReadConstraints());
    shared.setStreamWriteConstraints(SandboxJson.factory().streamWriteConstraints());
  }

  /** One request the API received. */
  public record Request(String method, String path, String userAgent) {}

  /**
   * The stack of the threads that answer requests: the mock server writes an object with Jackson,
   * which recurses once per nesting level, and on an event-loop thread's default stack it overflows
   * near 2,000 levels where an API server takes 10,000.
   */
  private static final long HANDLER_STACK_BYTES = 256L * 1024 * 1024;

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final List<Request> requests;
  private final LongAdder busyNanos;
  private final ExecutorService handlers;

  private InProcessKubernetes(
      KubernetesMockServer server,
      List<Request> requests,
      LongAdder busyNanos,
      ExecutorService handlers) {
    this.server = server;
    this.requests = requests;
    this.busyNanos = busyNanos;
    this.handlers = handlers;
    // HTTP/1.1 only: against an http:// URL the JDK client offers an upgrade to cleartext HTTP/2
    // (h2c), and now and then the mock server leaves that first request hanging.
    // Jackson limits as deep as an API server's: the operator reads and writes through this client.
    this.client =
        server.createClient(
            builder ->
                builder
                    .editOrNewConfig()
                    .withHttp2Disable(true)
                    .endConfig()
                    .withKubernetesSerialization(SandboxJson.kubernetesSerialization()));
  }

  public static InProcessKubernetes start() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    List<Request> requests = java.util.Collections.synchronizedList(new ArrayList<>());
    // The mock server answers one request at a time: the time spent answering is its busy time.
    LongAdder busyNanos = new LongAdder();
    ExecutorService handlers =
        Executors.newCachedThreadPool(
            runnable -> {
              Thread thread =
                  new Thread(null, runnable, "in-process-kubernetes", HANDLER_STACK_BYTES);
              thread.setDaemon(true);
              return thread;
            });
    var expectations = new MockDispatcher(responses);
    var store = new KeyIndexedCrudDispatcher();
    // As fabric8's KubernetesMixedDispatcher: an expected request gets its expected answer, any
    // other is served from the store.
    var dispatcher =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.add(
                new Request(
                    request.getMethod(), request.getPath(), request.getHeader("User-Agent")));
            Queue<ServerResponse> expected =
                responses.get(
                    new SimpleRequest(HttpMethod.valueOf(request.getMethod()), request.getPath()));
            Dispatcher answering = expected != null && !expected.isEmpty() ? expectations : store;
            long start = System.nanoTime();
            try {
              return answer(handlers, () -> answering.dispatch(request));
            } finally {
              busyNanos.add(System.nanoTime() - start);
            }
          }
        };
    var server =
        new KubernetesMockServer(new Context(), new MockWebServer(), responses, dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(
            201,
            new SelfSubjectRulesReviewBuilder()
                .withNewStatus()
                .withIncomplete(false)
                .withResourceRules(
                    new ResourceRuleBuilder()
                        .withApiGroups("coordination.k8s.io")
                        .withResources("leases")
                        .withVerbs("get", "create", "update")
                        .build())
                .endStatus()
                .build())
        .always();
    var kubernetes = new InProcessKubernetes(server, requests, busyNanos, handlers);
    kubernetes.client.resource(loadCrd()).create();
    kubernetes.client.resource(loadCrd(POLICY_CRD_RESOURCE)).create();
    return kubernetes;
  }

  /** Runs a request's handling on a thread with a deep stack and waits for its answer. */
  private static MockResponse answer(ExecutorService handlers, Callable<MockResponse> handling) {
    try {
      return handlers.submit(handling).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new MockResponse().setResponseCode(503);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  public static CustomResourceDefinition loadCrd() {
    return loadCrd(CRD_RESOURCE);
  }

  private static CustomResourceDefinition loadCrd(String resource) {
    try (InputStream in = InProcessKubernetes.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "the generated CRD " + resource + " is not on the classpath");
      }
      return Serialization.unmarshal(in, CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A client of this API. Closed with it. */
  public KubernetesClient client() {
    return client;
  }

  /**
   * A new client of this API (HTTP/1.1, as {@link #client()}) whose requests carry {@code
   * userAgent}; the caller closes it.
   */
  public KubernetesClient newClient(String userAgent) {
    return new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(client.getConfiguration()).withUserAgent(userAgent).build())
        .withKubernetesSerialization(SandboxJson.kubernetesSerialization())
        .build();
  }

  /**
   * A client, as {@link #newClient}, of an in-process API started in another JVM at {@code url}
   * (the benchmark runs it apart from the operator); the caller closes it.
   */
  public static KubernetesClient clientOf(String url, String userAgent) {
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder(Config.empty())
                .withMasterUrl(url)
                .withHttp2Disable(true)
                .withUserAgent(userAgent)
                .build())
        .withKubernetesSerialization(SandboxJson.kubernetesSerialization())
        .build();
  }

  /**
   * The time spent answering requests so far. The server answers one request at a time (watch
   * events aside), so this time over a stretch of wall time is how busy it was: near all of it, and
   * the server set the pace.
   */
  public Duration busy() {
    return Duration.ofNanos(busyNanos.sum());
  }

  /** Every request received so far. */
  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  public String url() {
    return client.getConfiguration().getMasterUrl();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
    handlers.shutdownNow();
  }
}
