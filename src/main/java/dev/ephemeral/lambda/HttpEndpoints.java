package dev.ephemeral.lambda;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * /livez, /readyz and /metrics (Prometheus text format) on one port, over the JDK's HTTP server. No
 * request waits on java-operator-sdk: /livez answers at once, /readyz from {@link Readiness}.
 */
public final class HttpEndpoints implements AutoCloseable {

  /** How often the readiness check runs once the operator started. */
  private static final Duration READINESS_INTERVAL = Duration.ofSeconds(1);

  private final HttpServer server;
  private final Readiness readiness;

  private HttpEndpoints(HttpServer server, Readiness readiness) {
    this.server = server;
    this.readiness = readiness;
  }

  /**
   * @param readinessCheck whether the started operator is ready; it may block, so it never runs on
   *     a request thread, and not before {@link #operatorStarted()}
   */
  public static HttpEndpoints start(
      int port, BooleanSupplier readinessCheck, PrometheusMeterRegistry registry) {
    var readiness = new Readiness(readinessCheck, READINESS_INTERVAL);
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
      server.setExecutor(
          Executors.newFixedThreadPool(
              2,
              r -> {
                Thread thread = new Thread(r, "http-endpoints");
                thread.setDaemon(true);
                return thread;
              }));
      server.createContext("/livez", exchange -> respond(exchange, 200, "text/plain", "ok\n"));
      server.createContext(
          "/readyz",
          exchange -> {
            boolean isReady = readiness.isReady();
            respond(exchange, isReady ? 200 : 503, "text/plain", isReady ? "ok\n" : "not ready\n");
          });
      server.createContext(
          "/metrics",
          exchange -> respond(exchange, 200, "text/plain; version=0.0.4", registry.scrape()));
      server.start();
      return new HttpEndpoints(server, readiness);
    } catch (IOException e) {
      readiness.close();
      throw new UncheckedIOException("cannot listen on port " + port, e);
    }
  }

  /** The operator's start returned: /readyz follows the readiness check from now on. */
  public void operatorStarted() {
    readiness.operatorStarted();
  }

  /** The operator is stopping: /readyz answers 503 from now on. */
  public void operatorStopping() {
    readiness.operatorStopping();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int code, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType + "; charset=utf-8");
    exchange.sendResponseHeaders(code, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    readiness.close();
    server.stop(0);
  }
}
