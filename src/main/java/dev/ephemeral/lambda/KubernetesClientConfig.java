package dev.ephemeral.lambda;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import java.util.Locale;

/** The settings of the operator's Kubernetes API client that its kubeconfig does not decide. */
public final class KubernetesClientConfig {

  private KubernetesClientConfig() {}

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
