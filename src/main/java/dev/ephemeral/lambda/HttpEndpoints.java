package dev.ephemeral.lambda;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * /livez, /readyz and /metrics (Prometheus text format) on one port, over the JDK's HTTP server.
 */
public final class HttpEndpoints implements AutoCloseable {

  private final HttpServer server;

  private HttpEndpoints(HttpServer server) {
    this.server = server;
  }

  public static HttpEndpoints start(
      int port, BooleanSupplier ready, PrometheusMeterRegistry registry) {
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
            boolean isReady = ready.getAsBoolean();
            respond(
                exchange,
                isReady ? 200 : 503,
                "text/plain",
                isReady ? "ok\n" : "informers not synced\n");
          });
      server.createContext(
          "/metrics",
          exchange -> respond(exchange, 200, "text/plain; version=0.0.4", registry.scrape()));
      server.start();
      return new HttpEndpoints(server);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port, e);
    }
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
    server.stop(0);
  }
}
