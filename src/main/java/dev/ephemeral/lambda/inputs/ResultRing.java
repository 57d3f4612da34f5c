package dev.ephemeral.lambda.inputs;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.PayloadInput;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.PayloadSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Finds rings of chained results: a resource whose spec.payloadFrom reads, through the result
 * Secrets of other LambdaInvocations of its namespace, its own result. Each result would change
 * the next input, so a ring would invoke its functions one after the other without end. A resource
 * in a ring is refused (InvalidSpec) with the ring in the message; reading one's own result
 * directly is refused by the spec's own rules.
 */
public final class ResultRing {

  private ResultRing() {}

  /**
   * The ring through {@code resource}, as a message naming each step, if there is one.
   *
   * @param plan the resource's validated plan (its payloadFrom and its result Secret's name)
   * @param namespaceResources the LambdaInvocations of the resource's namespace (it may be among
   *     them), listed only when the resource reads a Secret
   */
  public static Optional<String> find(
      LambdaInvocation resource,
      InvocationPlan plan,
      Supplier<Stream<LambdaInvocation>> namespaceResources) {
    List<PayloadSource> reads =
        plan.payloadFrom().stream().filter(s -> s.kind() == PayloadSource.Kind.Secret).toList();
    if (reads.isEmpty()) {
      return Optional.empty();
    }
    String self = resource.getMetadata().getName();
    Map<String, List<LambdaInvocation>> writers = new HashMap<>();
    namespaceResources
        .get()
        .filter(r -> !self.equals(r.getMetadata().getName()))
        .forEach(r -> writers.computeIfAbsent(resultSecretOf(r), k -> new ArrayList<>()).add(r));
    for (PayloadSource read : reads) {
      Optional<List<Step>> path = pathBack(read.name(), plan.secretName(), writers);
      if (path.isPresent()) {
        return Optional.of(message(read, path.get()));
      }
    }
    return Optional.empty();
  }

  /** One link of a ring: a resource that writes a Secret and reads the next one. */
  private record Step(String resource, String writes, String reads) {}

  /**
   * A breadth-first walk from the Secret read, through the resources that write each Secret and
   * the Secrets they read, to the resource's own result Secret.
   */
  private static Optional<List<Step>> pathBack(
      String firstRead, String ownSecret, Map<String, List<LambdaInvocation>> writers) {
    record Node(String secret, List<Step> path) {}
    Deque<Node> queue = new ArrayDeque<>(List.of(new Node(firstRead, List.of())));
    Set<String> seen = new HashSet<>(Set.of(firstRead));
    while (!queue.isEmpty()) {
      Node node = queue.removeFirst();
      for (LambdaInvocation writer : writers.getOrDefault(node.secret(), List.of())) {
        for (String next : secretsReadBy(writer)) {
          List<Step> path = new ArrayList<>(node.path());
          path.add(new Step(writer.getMetadata().getName(), node.secret(), next));
          if (next.equals(ownSecret)) {
            return Optional.of(path);
          }
          if (seen.add(next)) {
            queue.addLast(new Node(next, path));
          }
        }
      }
    }
    return Optional.empty();
  }

  private static String message(PayloadSource read, List<Step> path) {
    StringBuilder text =
        new StringBuilder(read.field()).append(" reads Secret ").append(read.name());
    for (Step step : path) {
      text.append(", the result of LambdaInvocation ")
          .append(step.resource())
          .append(", which reads Secret ")
          .append(step.reads());
    }
    return text.append(", this resource's own result: a ring of chained results would invoke its")
        .append(" functions one after the other without end")
        .toString();
  }

  /** The result Secret's name of a resource: spec.secret.name, else its own name. */
  private static String resultSecretOf(LambdaInvocation resource) {
    var spec = resource.getSpec();
    String named = spec == null || spec.getSecret() == null ? null : spec.getSecret().getName();
    return named != null ? named : resource.getMetadata().getName();
  }

  /** The Secrets a resource's spec.payloadFrom reads, as written (it may not be valid). */
  private static List<String> secretsReadBy(LambdaInvocation resource) {
    var spec = resource.getSpec();
    if (spec == null || spec.getPayloadFrom() == null) {
      return List.of();
    }
    return spec.getPayloadFrom().stream()
        .filter(Objects::nonNull)
        .map(PayloadInput::getSecretKeyRef)
        .filter(Objects::nonNull)
        .map(ref -> ref.getName())
        .filter(Objects::nonNull)
        .distinct()
        .toList();
  }
}
