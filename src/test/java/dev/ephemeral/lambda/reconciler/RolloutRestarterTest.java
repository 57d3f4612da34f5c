package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.customresource.RolloutTargetKind;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.RestartTarget;
import dev.ephemeral.lambda.model.Trigger;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the operator sends to restart a workload, and what it reports, against a scripted API. */
class RolloutRestarterTest {

  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00.123456Z");

  private KubernetesMockServer server;
  private KubernetesClient client;
  private final List<String> reported = new ArrayList<>();

  private final InvocationObserver observer =
      new InvocationObserver() {
        @Override
        public void invoked(
            LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency) {}

        @Override
        public void workloadRestarted(LambdaInvocation resource, String message) {
          reported.add("Normal RolloutRestarted: " + message);
        }

        @Override
        public void workloadNotRestarted(
            LambdaInvocation resource, String reason, String message) {
          reported.add("Warning " + reason + ": " + message);
        }
      };

  @BeforeEach
  void start() {
    server = new KubernetesMockServer(false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  @Test
  void eachTargetGetsOneMergePatchOfItsPodTemplateAndEachOutcomeIsReported() throws Exception {
    server
        .expect()
        .patch()
        .withPath("/apis/apps/v1/namespaces/shop/deployments/web")
        .andReturn(
            200,
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("web")
                .withNamespace("shop")
                .endMetadata()
                .build())
        .once();
    server
        .expect()
        .patch()
        .withPath("/apis/apps/v1/namespaces/shop/statefulsets/db")
        .andReturn(
            403,
            new StatusBuilder()
                .withCode(403)
                .withReason("Forbidden")
                .withMessage("statefulsets.apps \"db\" is forbidden")
                .build())
        .once();
    // Anything else answers 404, as for the DaemonSet that does not exist.

    new RolloutRestarter(client, observer, Clock.fixed(NOW, ZoneOffset.UTC))
        .restart(
            Fixtures.resource(1, null),
            List.of(
                new RestartTarget(RolloutTargetKind.Deployment, "web"),
                new RestartTarget(RolloutTargetKind.StatefulSet, "db"),
                new RestartTarget(RolloutTargetKind.DaemonSet, "gone")),
            "api-key");

    assertThat(reported)
        .containsExactly(
            "Normal RolloutRestarted: Deployment web restarted: the data of Secret api-key changed",
            "Warning RolloutRestartFailed: StatefulSet db could not be restarted (HTTP 403"
                + " Forbidden); restart it with kubectl rollout restart statefulset/db",
            "Warning RolloutRestartTargetNotFound: DaemonSet gone not found in namespace shop;"
                + " not restarted");

    // Three PATCH requests and nothing else: no read of a workload, so no get is needed.
    assertThat(server.getRequestCount()).isEqualTo(3);
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RecordedRequest request = server.takeRequest(1, TimeUnit.SECONDS);
      assertThat(request.getMethod()).isEqualTo("PATCH");
      assertThat(request.getHeader("Content-Type")).startsWith("application/merge-patch+json");
      assertThat(new ObjectMapper().readTree(request.getBody().readUtf8()))
          .isEqualTo(
              new ObjectMapper()
                  .readTree(
                      "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
                          + "{\"lambda.ephemeral.dev/restartedAt\":\"2026-11-26T10:00:00.123456Z\"}"
                          + "}}}}"));
      paths.add(request.getPath());
    }
    assertThat(paths)
        .containsExactly(
            "/apis/apps/v1/namespaces/shop/deployments/web",
            "/apis/apps/v1/namespaces/shop/statefulsets/db",
            "/apis/apps/v1/namespaces/shop/daemonsets/gone");
  }

  @Test
  void noTargetsSendsNothing() {
    new RolloutRestarter(client, observer, Clock.fixed(NOW, ZoneOffset.UTC))
        .restart(Fixtures.resource(1, null), List.of(), "api-key");

    assertThat(server.getRequestCount()).isZero();
    assertThat(reported).isEmpty();
  }
}
