package dev.ephemeral.lambda.sandbox;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.HashMap;

/**
 * A Kubernetes API in this process: fabric8's CRUD mock server on loopback, with the operator's
 * generated CRD registered so the status subresource behaves as on a cluster (a status write
 * changes only status, the generation moves only with the spec). It applies no schema, CEL rules
 * or garbage collection.
 */
public final class InProcessKubernetes implements AutoCloseable {

  /** The CRD as generated from the model at build time, packaged in the jar. */
  public static final String CRD_RESOURCE =
      "/META-INF/fabric8/lambdainvocations.lambda.ephemeral.dev-v1.yml";

  /** The mock server logs every request through java.util.logging at INFO; keep that quiet. */
  private static final java.util.logging.Logger MOCK_SERVER_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  private InProcessKubernetes(KubernetesMockServer server) {
    this.server = server;
    this.client = server.createClient();
  }

  public static InProcessKubernetes start() {
    var server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    var kubernetes = new InProcessKubernetes(server);
    kubernetes.client.resource(loadCrd()).create();
    return kubernetes;
  }

  public static CustomResourceDefinition loadCrd() {
    try (InputStream in = InProcessKubernetes.class.getResourceAsStream(CRD_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the generated CRD " + CRD_RESOURCE + " is not on the classpath");
      }
      return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(in, CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A client of this API. Closed with it. */
  public KubernetesClient client() {
    return client;
  }

  /** A new client of this API, for a second operator instance; the caller closes it. */
  public KubernetesClient newClient() {
    return server.createClient();
  }

  public String url() {
    return client.getConfiguration().getMasterUrl();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
