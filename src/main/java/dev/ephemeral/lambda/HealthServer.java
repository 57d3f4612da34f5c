package dev.ephemeral.lambda;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/** /livez and /readyz over the JDK's HTTP server. */
public final class HealthServer implements AutoCloseable {

  private final HttpServer server;
  private final AtomicBoolean ready = new AtomicBoolean();

  private HealthServer(HttpServer server) {
    this.server = server;
  }

  public static HealthServer start(int port) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
      var health = new HealthServer(server);
      server.createContext("/livez", exchange -> respond(exchange, 200, "ok"));
      server.createContext(
          "/readyz",
          exchange -> respond(exchange, health.ready.get() ? 200 : 503, health.ready.get() ? "ok" : "starting"));
      server.start();
      return health;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port, e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public void markReady() {
    ready.set(true);
  }

  private static void respond(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
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
