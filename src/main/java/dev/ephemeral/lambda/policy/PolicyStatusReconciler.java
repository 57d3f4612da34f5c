package dev.ephemeral.lambda.policy;

import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicyStatus;
import dev.ephemeral.lambda.customresource.PolicyCondition;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Writes a LambdaInvocationPolicy's status (with POLICY_MODE=Enforce): Ready=True, reason Accepted,
 * while no LambdaInvocation finds it tied with another policy; Ready=False, reason Conflict, naming
 * the other policies and the LambdaInvocations concerned, while one does. Both tied policies show
 * it.
 */
@ControllerConfiguration(name = PolicyStatusReconciler.CONTROLLER_NAME)
public class PolicyStatusReconciler implements Reconciler<LambdaInvocationPolicy> {

  public static final String CONTROLLER_NAME = "lambdainvocationpolicy";
  public static final String READY = "Ready";

  /** The most conflicts one message lists. */
  private static final int LISTED = 3;

  private final PolicyEnforcement enforcement;
  private final Clock clock;

  public PolicyStatusReconciler(PolicyEnforcement enforcement, Clock clock) {
    this.enforcement = enforcement;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, LambdaInvocationPolicy>> prepareEventSources(
      EventSourceContext<LambdaInvocationPolicy> context) {
    var changes = new SimpleInboundEventSource<LambdaInvocationPolicy>("policy-conflicts");
    enforcement.conflicts().onChange(policy -> changes.propagateEvent(new ResourceID(policy)));
    return List.of(changes);
  }

  @Override
  public UpdateControl<LambdaInvocationPolicy> reconcile(
      LambdaInvocationPolicy policy, Context<LambdaInvocationPolicy> context) {
    String name = policy.getMetadata().getName();
    Map<String, PolicyConflicts.Conflict> conflicts =
        enforcement.conflicts().of(name, enforcement::exists);
    boolean ready = conflicts.isEmpty();
    String message;
    if (ready) {
      message = "in force; no LambdaInvocation finds it tied with another policy";
    } else {
      message =
          conflicts.entrySet().stream()
                  .limit(LISTED)
                  .map(
                      e ->
                          "tied with "
                              + e.getValue().policies().stream()
                                  .filter(p -> !p.equals(name))
                                  .collect(Collectors.joining(", "))
                              + " for LambdaInvocation "
                              + e.getKey())
                  .collect(Collectors.joining("; "))
              + (conflicts.size() > LISTED ? "; and " + (conflicts.size() - LISTED) + " more" : "")
              + ": equally specific matches with different roles; those LambdaInvocations are"
              + " not invoked until one policy is made more specific";
    }
    var previous = policy.getStatus();
    String status = ready ? "True" : "False";
    String transition =
        Optional.ofNullable(previous).stream()
            .flatMap(s -> s.getConditions().stream())
            .filter(c -> READY.equals(c.getType()) && status.equals(c.getStatus()))
            .map(PolicyCondition::getLastTransitionTime)
            .findFirst()
            .orElse(clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    var next = new LambdaInvocationPolicyStatus();
    next.setObservedGeneration(policy.getMetadata().getGeneration());
    next.setConditions(
        List.of(
            new PolicyCondition(
                READY,
                status,
                ready ? "Accepted" : "Conflict",
                message,
                policy.getMetadata().getGeneration(),
                transition)));
    if (next.equals(previous)) {
      return UpdateControl.noUpdate();
    }
    policy.setStatus(next);
    return UpdateControl.patchStatus(policy);
  }
}
