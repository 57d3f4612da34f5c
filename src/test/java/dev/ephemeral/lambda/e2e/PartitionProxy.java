package dev.ephemeral.lambda.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of a server, which a test can cut as a network partition does: from {@link
 * #cut()} on, no byte passes either way and nothing is refused (requests hang until their client
 * gives up), until {@link #heal()}.
 */
final class PartitionProxy implements AutoCloseable {

  private final URI target;
  private final ServerSocket socket;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private boolean cut;
  private boolean closed;

  private PartitionProxy(URI target) throws IOException {
    this.target = target;
    this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon("partition-proxy-accept", this::accept);
  }

  /** A proxy in front of the server at {@code url} (http://host:port). */
  static PartitionProxy to(String url) throws IOException {
    return new PartitionProxy(URI.create(url));
  }

  /** The proxy's URL, with the scheme of the server's. */
  String url() {
    return target.getScheme() + "://127.0.0.1:" + socket.getLocalPort();
  }

  synchronized void cut() {
    cut = true;
  }

  synchronized void heal() {
    cut = false;
    notifyAll();
  }

  private void accept() {
    try {
      while (true) {
        Socket client = socket.accept();
        sockets.add(client);
        daemon("partition-proxy-connect", () -> connect(client));
      }
    } catch (IOException e) {
      // The proxy was closed.
    }
  }

  private void connect(Socket client) {
    try {
      awaitConnected();
      Socket server = new Socket(target.getHost(), target.getPort());
      sockets.add(server);
      daemon("partition-proxy-up", () -> pump(client, server));
      pump(server, client);
    } catch (IOException | InterruptedException e) {
      close(client);
    }
  }

  /** Copies {@code from} to {@code to}, holding every chunk read while the proxy is cut. */
  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        awaitConnected();
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // A side closed, or the proxy did.
    } finally {
      close(from);
      close(to);
    }
  }

  private synchronized void awaitConnected() throws InterruptedException {
    while (cut && !closed) {
      wait();
    }
    if (closed) {
      throw new InterruptedException("the proxy was closed");
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    close(socket);
    sockets.forEach(PartitionProxy::close);
  }

  private static void close(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }

  private static void daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }
}
