package dev.ephemeral.lambda.policy;

import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicySpec;
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
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a LambdaInvocationPolicy's status (with POLICY_MODE=Enforce): Ready=True, reason Accepted,
 * while no LambdaInvocation finds it tied with another policy; Ready=False, reason Conflict, naming
 * the other policies and the LambdaInvocations concerned, while one does. Both tied policies show
 * it. A policy whose stored spec does not fit the model (see {@link
 * LambdaInvocationPolicySpec#unreadable}) is ignored by the evaluator and shows Ready=False, reason
 * InvalidSpec, naming the field and the rule; it is reported once per change (a warning log, a
 * Warning Event), never with its content.
 */
@ControllerConfiguration(name = PolicyStatusReconciler.CONTROLLER_NAME)
public class PolicyStatusReconciler implements Reconciler<LambdaInvocationPolicy> {

  public static final String CONTROLLER_NAME = "lambdainvocationpolicy";
  public static final String READY = "Ready";

  /** Reason of a policy whose stored spec does not fit the model, which is ignored. */
  public static final String INVALID_SPEC = "InvalidSpec";

  private static final Logger LOG = LoggerFactory.getLogger(PolicyStatusReconciler.class);

  /** The most conflicts one message lists. */
  private static final int LISTED = 3;

  private final PolicyEnforcement enforcement;
  private final BiConsumer<LambdaInvocationPolicy, String> ignored;
  private final Clock clock;

  /**
   * @param ignored told of a policy ignored because its spec does not fit the model, with the
   *     message that names the field and the rule (for an Event)
   */
  public PolicyStatusReconciler(
      PolicyEnforcement enforcement,
      BiConsumer<LambdaInvocationPolicy, String> ignored,
      Clock clock) {
    this.enforcement = enforcement;
    this.ignored = ignored;
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
    String unreadable = policy.getSpec() == null ? null : policy.getSpec().getUnreadable();
    if (unreadable != null) {
      return ignored(policy, unreadable);
    }
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
    var next = status(policy, ready, ready ? "Accepted" : "Conflict", message);
    if (next.equals(policy.getStatus())) {
      return UpdateControl.noUpdate();
    }
    policy.setStatus(next);
    return UpdateControl.patchStatus(policy);
  }

  /**
   * The policy's stored spec does not fit the model: it is ignored, which can only allow less,
   * since policies only grant. Reported when its status does not say so yet.
   *
   * @param unreadable names the field and the rule, never a value
   */
  private UpdateControl<LambdaInvocationPolicy> ignored(
      LambdaInvocationPolicy policy, String unreadable) {
    String message =
        unreadable
            + "; the policy is ignored (it allows nothing, and its revoke does not apply) until"
            + " its spec fits the CRD's schema";
    var next = status(policy, false, INVALID_SPEC, message);
    if (next.equals(policy.getStatus())) {
      return UpdateControl.noUpdate();
    }
    LOG.atWarn()
        .addKeyValue("name", policy.getMetadata().getName())
        .addKeyValue("field", unreadable)
        .log("Ignoring a LambdaInvocationPolicy whose spec does not fit the model");
    ignored.accept(policy, message);
    policy.setStatus(next);
    return UpdateControl.patchStatus(policy);
  }

  private LambdaInvocationPolicyStatus status(
      LambdaInvocationPolicy policy, boolean ready, String reason, String message) {
    String status = ready ? "True" : "False";
    String transition =
        Optional.ofNullable(policy.getStatus()).stream()
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
                READY, status, reason, message, policy.getMetadata().getGeneration(), transition)));
    return next;
  }
}
