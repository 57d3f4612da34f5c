package dev.ephemeral.lambda;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientImpl;
import java.net.http.HttpClient;
import java.util.Locale;
import java.util.concurrent.Executors;

/** The settings of the operator's Kubernetes API client that its kubeconfig does not decide. */
public final class KubernetesClientConfig {

  private KubernetesClientConfig() {}

  /**
   * The operator's client for {@code config}: {@link #forApiServer(Config)}, and its HTTP client's
   * threads, on which watch events are read into resources, with a stack deep enough for the
   * deepest payload the API server accepts ({@link JsonLimits}). On the default stack, one such
   * LambdaInvocation arriving through a watch overflows it, the informer stops, and the operator
   * exits.
   */
  public static KubernetesClient newClient(Config config) {
    return new KubernetesClientBuilder()
        .withConfig(forApiServer(config))
        .withHttpClientFactory(new DeepStackHttpClients())
        .build();
  }

  /**
   * fabric8's JDK HTTP client factory, with its executor's threads made by {@link JsonLimits}. The
   * threads are daemons of a cached pool: idle ones end within a minute, so nothing needs closing
   * (clients derived from one another share the pool).
   */
  private static final class DeepStackHttpClients extends JdkHttpClientFactory {

    @Override
    protected HttpClient.Builder createNewHttpClientBuilder() {
      return HttpClient.newBuilder()
          .executor(Executors.newCachedThreadPool(JsonLimits.deepStackThreads("kubernetes-client")));
    }

    @Override
    protected void closeHttpClient(JdkHttpClientImpl client) {
      // The pool's idle threads end by themselves.
    }
  }

  /**
   * {@code config} with HTTP/1.1 pinned when the API server is cleartext {@code http://}: there the
   * JDK HTTP client upgrades to cleartext HTTP/2 (h2c), and a start then hangs now and then after
   * its first list. Over {@code https://} HTTP/2 is negotiated through ALPN and stays on, so such a
   * config is returned unchanged.
   */
  public static Config forApiServer(Config config) {
    String masterUrl = config.getMasterUrl();
    if (masterUrl == null || !masterUrl.toLowerCase(Locale.ROOT).startsWith("http://")) {
      return config;
    }
    return new ConfigBuilder(config).withHttp2Disable(true).build();
  }
}
