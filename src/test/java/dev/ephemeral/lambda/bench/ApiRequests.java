package dev.ephemeral.lambda.bench;

import dev.ephemeral.lambda.sandbox.InProcessKubernetes.Request;
import java.net.URI;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Kubernetes API requests of one client, counted: all of them, the writes among them, and how
 * many of each method and resource (such as {@code PUT lambdainvocations/status}).
 */
record ApiRequests(int total, int writes, Map<String, Integer> byKind) {

  private static final Set<String> WRITE_METHODS = Set.of("POST", "PUT", "PATCH", "DELETE");

  /** Counts the requests sent with {@code userAgent}; the others are someone else's. */
  static ApiRequests of(Collection<Request> requests, String userAgent) {
    List<Request> own = requests.stream().filter(r -> userAgent.equals(r.userAgent())).toList();
    Map<String, Integer> byKind = new TreeMap<>();
    own.forEach(r -> byKind.merge(kind(r.method(), r.path()), 1, Integer::sum));
    int writes = (int) own.stream().filter(r -> WRITE_METHODS.contains(r.method())).count();
    return new ApiRequests(own.size(), writes, byKind);
  }

  /** The requests made since {@code earlier} was counted (of the same, growing record). */
  ApiRequests since(ApiRequests earlier) {
    Map<String, Integer> added = new TreeMap<>(byKind);
    earlier.byKind.forEach((kind, count) -> added.merge(kind, -count, Integer::sum));
    added.values().removeIf(count -> count == 0);
    return new ApiRequests(total - earlier.total, writes - earlier.writes, added);
  }

  /**
   * The method and the resource (with its subresource) of a request, e.g. {@code GET secrets} or
   * {@code PUT lambdainvocations/status}; a watch is {@code WATCH}.
   */
  static String kind(String method, String rawPath) {
    URI uri = URI.create(rawPath);
    String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
    List<String> parts = Arrays.asList(uri.getPath().replaceFirst("^/", "").split("/"));
    // /api/v1/... or /apis/group/version/...
    int start = parts.get(0).equals("api") ? 2 : 3;
    List<String> rest = parts.subList(Math.min(start, parts.size()), parts.size());
    if (rest.size() >= 3 && rest.get(0).equals("namespaces")) {
      rest = rest.subList(2, rest.size());
    }
    String resource = rest.isEmpty() ? uri.getPath() : rest.get(0);
    if (rest.size() > 2) {
      resource += "/" + rest.get(2);
    }
    String verb = "GET".equals(method) && query.contains("watch=true") ? "WATCH" : method;
    return verb + " " + resource;
  }
}
