package dev.ephemeral.lambda.emulator;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process HTTP server that speaks the AWS Lambda Invoke REST API, for tests and the sandbox.
 * Point an SDK {@code LambdaClient} at {@link #endpoint()}; it signs and parses exactly as against
 * AWS.
 */
public final class LambdaEmulator implements AutoCloseable {

  private static final String NO_DELAY = "sun.net.httpserver.nodelay";

  static {
    // The JDK server sends a response's headers and body in two writes: with Nagle's algorithm on,
    // the body waits for the client's delayed ACK (about 40 ms on Linux), which added that much to
    // every call. The server reads this property once, when its first instance is created.
    if (System.getProperty(NO_DELAY) == null) {
      System.setProperty(NO_DELAY, "true");
    }
  }

  private final HttpServer server;
  private final ExecutorService workers;
  private final URI endpoint;
  private final FunctionRegistry registry = new FunctionRegistry();
  private final List<RecordedInvocation> recorded = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private LambdaEmulator(HttpServer server, ExecutorService workers, String host) {
    this.server = server;
    this.workers = workers;
    String uriHost = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    this.endpoint = URI.create("http://" + uriHost + ":" + server.getAddress().getPort());
  }

  /** Starts a server bound only to {@code host}; port 0 picks a free port. */
  public static LambdaEmulator start(String host, int port) {
    Objects.requireNonNull(host, "host");
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the Lambda emulator to " + host + ":" + port, e);
    }
    // A thread per request in progress: a fixed number would cap the calls in flight (a delayed
    // answer holds its thread), so a client allowed more would queue here, not in its own limit.
    ExecutorService workers =
        Executors.newCachedThreadPool(workerThreads(server.getAddress().getPort()));
    LambdaEmulator emulator = new LambdaEmulator(server, workers, host);
    server.createContext("/", new InvokeRoute(emulator.registry, emulator::record));
    server.setExecutor(workers);
    server.start();
    return emulator;
  }

  /** The base URI to give the SDK as its endpoint override, e.g. {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return endpoint;
  }

  /** Registers or replaces the code of the function with this plain name. */
  public LambdaEmulator function(String name, LambdaFunction fn) {
    registry.register(name, fn);
    return this;
  }

  /** Declares a published version (a positive number) of a function. */
  public LambdaEmulator version(String name, String version) {
    registry.declareVersion(name, version);
    return this;
  }

  /**
   * Points an alias at {@code $LATEST} or a declared version; replaces an alias of the same name.
   */
  public LambdaEmulator alias(String name, String alias, String version) {
    registry.declareAlias(name, alias, version);
    return this;
  }

  /** Every request that reached the Invoke route, in arrival order, including refused ones. */
  public List<RecordedInvocation> invocations() {
    synchronized (recorded) {
      return List.copyOf(recorded);
    }
  }

  /**
   * How many requests reached the Invoke route for this plain function name, whatever their
   * outcome.
   */
  public long invocationCount(String name) {
    synchronized (recorded) {
      return recorded.stream().filter(i -> i.functionName().equals(name)).count();
    }
  }

  public void clearInvocations() {
    synchronized (recorded) {
      recorded.clear();
    }
  }

  /** Stops the server at once; requests still waiting in a delay get no answer. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.stop(0);
      workers.shutdownNow();
    }
  }

  private void record(RecordedInvocation invocation) {
    synchronized (recorded) {
      recorded.add(invocation);
    }
  }

  private static ThreadFactory workerThreads(int port) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread =
          new Thread(runnable, "lambda-emulator-" + port + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
