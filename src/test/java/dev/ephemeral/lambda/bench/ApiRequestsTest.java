package dev.ephemeral.lambda.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.sandbox.InProcessKubernetes.Request;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiRequestsTest {

  private static final String OPERATOR = "operator";
  private static final String CR =
      "/apis/lambda.ephemeral.dev/v1alpha1/namespaces/bench/lambdainvocations";

  @Test
  void onlyTheClientsOwnRequestsCountAndWritesAreTheChangingMethods() {
    var requests =
        List.of(
            new Request("GET", "/api/v1/namespaces/bench/secrets/a", OPERATOR),
            new Request("POST", "/api/v1/namespaces/bench/secrets", OPERATOR),
            new Request("PUT", CR + "/a/status", OPERATOR),
            new Request("PATCH", CR + "/a", OPERATOR),
            new Request("DELETE", "/api/v1/namespaces/bench/secrets/a", OPERATOR),
            new Request("POST", CR, "the-user"));

    var counted = ApiRequests.of(requests, OPERATOR);

    assertThat(counted.total()).isEqualTo(5);
    assertThat(counted.writes()).isEqualTo(4);
    assertThat(counted.byKind())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "GET secrets", 1,
                "POST secrets", 1,
                "PUT lambdainvocations/status", 1,
                "PATCH lambdainvocations", 1,
                "DELETE secrets", 1));
  }

  @Test
  void aWatchIsToldFromAList() {
    assertThat(ApiRequests.kind("GET", CR + "?watch=true&resourceVersion=5"))
        .isEqualTo("WATCH lambdainvocations");
    assertThat(ApiRequests.kind("GET", "/api/v1/secrets?labelSelector=x")).isEqualTo("GET secrets");
  }

  @Test
  void requestsSinceAnEarlierCountAreTheDifference() {
    var before =
        ApiRequests.of(
            List.of(new Request("GET", "/api/v1/namespaces/b/secrets/a", OPERATOR)), OPERATOR);
    var after =
        ApiRequests.of(
            List.of(
                new Request("GET", "/api/v1/namespaces/b/secrets/a", OPERATOR),
                new Request("PUT", CR + "/a/status", OPERATOR)),
            OPERATOR);

    var since = after.since(before);

    assertThat(since.total()).isEqualTo(1);
    assertThat(since.writes()).isEqualTo(1);
    assertThat(since.byKind()).containsExactly(Map.entry("PUT lambdainvocations/status", 1));
  }
}
