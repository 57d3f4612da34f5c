package dev.ephemeral.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import org.junit.jupiter.api.Test;

class KubernetesClientConfigTest {

  @Test
  void cleartextApiServerIsSpokenToOverHttp11AndKeepsEverythingElse() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:8080/")
            .withNamespace("shop")
            .withUserAgent("lambda-invocation-operator/test")
            .withRequestTimeout(7_000)
            .build();

    Config result = KubernetesClientConfig.forApiServer(config);

    assertThat(result.isHttp2Disable()).isTrue();
    assertThat(result.getMasterUrl()).isEqualTo(config.getMasterUrl());
    assertThat(result.getNamespace()).isEqualTo("shop");
    assertThat(result.getUserAgent()).isEqualTo("lambda-invocation-operator/test");
    assertThat(result.getRequestTimeout()).isEqualTo(7_000);
    assertThat(config.isHttp2Disable()).as("the given config is not changed").isFalse();
  }

  @Test
  void tlsApiServerKeepsHttp2() {
    Config config =
        new ConfigBuilder(Config.empty()).withMasterUrl("https://10.96.0.1:443/").build();

    assertThat(KubernetesClientConfig.forApiServer(config)).isSameAs(config);
    assertThat(config.isHttp2Disable()).isFalse();
  }
}
