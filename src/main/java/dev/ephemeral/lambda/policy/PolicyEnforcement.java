package dev.ephemeral.lambda.policy;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.model.InvocationPlan;
import io.fabric8.kubernetes.api.model.Namespace;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Where the reconciler asks whether a LambdaInvocation may be invoked. With POLICY_MODE=Off every
 * invocation is allowed with the operator's own credentials, and nothing is watched. With Enforce,
 * the policies and the namespaces (whose labels namespaceSelector reads) are watched, cluster-wide,
 * and a change to either brings back the LambdaInvocations it may concern, so a newly forbidden one
 * stops and a newly allowed one is invoked.
 */
public final class PolicyEnforcement {

  private final PolicySettings settings;
  private final PolicyEvaluator evaluator;
  private final PolicyConflicts conflicts = new PolicyConflicts();
  private io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache<LambdaInvocation>
      primaries;
  private InformerEventSource<LambdaInvocationPolicy, LambdaInvocation> policies;
  private InformerEventSource<Namespace, LambdaInvocation> namespaces;

  public PolicyEnforcement(PolicySettings settings) {
    this.settings = settings;
    this.evaluator =
        new PolicyEvaluator(
            settings.accountId().orElse(null), settings.defaultRegion().orElse(null));
  }

  public static PolicyEnforcement off() {
    return new PolicyEnforcement(PolicySettings.OFF);
  }

  public boolean enforced() {
    return settings.enforced();
  }

  /** The informers on policies and namespaces; none when policies are not enforced. */
  public List<EventSource<?, LambdaInvocation>> eventSources(
      EventSourceContext<LambdaInvocation> context) {
    if (!enforced()) {
      return List.of();
    }
    var primaries = context.getPrimaryCache();
    this.primaries = primaries;
    policies =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(
                    LambdaInvocationPolicy.class, LambdaInvocation.class)
                .withName("policies")
                .withNamespaces(Constants.WATCH_ALL_NAMESPACE_SET)
                .withFollowControllerNamespacesChanges(false)
                // Its status is the operator's own write: only a spec change matters.
                .withOnUpdateFilter(
                    (next, previous) ->
                        !Objects.equals(
                            next.getMetadata().getGeneration(),
                            previous.getMetadata().getGeneration()))
                // A policy may concern any namespace (selectors, and the namespaces it left):
                // every LambdaInvocation is decided again; one the change does not concern is
                // not invoked by it.
                .withSecondaryToPrimaryMapper(
                    policy ->
                        primaries.list().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(),
            context);
    namespaces =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Namespace.class, LambdaInvocation.class)
                .withName("namespaces")
                .withNamespaces(Constants.WATCH_ALL_NAMESPACE_SET)
                .withFollowControllerNamespacesChanges(false)
                .withOnUpdateFilter(
                    (next, previous) ->
                        !Objects.equals(
                            next.getMetadata().getLabels(), previous.getMetadata().getLabels()))
                .withSecondaryToPrimaryMapper(
                    namespace ->
                        primaries
                            .list(namespace.getMetadata().getName())
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    return List.of(policies, namespaces);
  }

  /** What the policies say about invoking {@code plan} for {@code resource}. */
  public Permit check(LambdaInvocation resource, InvocationPlan plan) {
    if (!enforced()) {
      return Permit.UNRESTRICTED;
    }
    String namespace = resource.getMetadata().getNamespace();
    Map<String, String> labels =
        namespaces
            .get(new ResourceID(namespace))
            .map(
                n ->
                    Objects.requireNonNullElse(
                        n.getMetadata().getLabels(), Map.<String, String>of()))
            .orElse(null);
    Permit permit =
        evaluator.evaluate(namespace, labels, CallTarget.of(plan), policies.list().toList());
    conflicts.record(ResourceID.fromResource(resource), permit);
    return permit;
  }

  /**
   * The policies ignored because their stored spec does not fit the model; none when policies are
   * not enforced.
   */
  public int unreadable() {
    if (policies == null) {
      return 0;
    }
    return (int)
        policies
            .list()
            .filter(p -> p.getSpec() != null && p.getSpec().getUnreadable() != null)
            .count();
  }

  /** The conflicts between policies found by the checks so far. */
  public PolicyConflicts conflicts() {
    return conflicts;
  }

  /**
   * The LambdaInvocation was deleted: a conflict its checks found is dropped, and the policies
   * concerned are told, unless one of the same name already took its place.
   */
  public void forget(ResourceID resource) {
    if (!exists(resource)) {
      conflicts.forget(resource);
    }
  }

  /**
   * The LambdaInvocation's spec is invalid, so it calls nothing the policies could be tied on: a
   * conflict an earlier check found is dropped, and the policies concerned are told.
   */
  public void notChecked(ResourceID resource) {
    conflicts.forget(resource);
  }

  /** Whether the LambdaInvocation still exists (in the operator's cache). */
  public boolean exists(ResourceID resource) {
    return primaries != null && primaries.get(resource).isPresent();
  }
}
