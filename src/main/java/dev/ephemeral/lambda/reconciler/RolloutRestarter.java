package dev.ephemeral.lambda.reconciler;

import static dev.ephemeral.lambda.reconciler.LogKeys.*;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.RestartTarget;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Restarts the workloads of spec.secret.rolloutRestartTargets after a write changed the Secret's
 * data, as {@code kubectl rollout restart} does: a JSON merge patch sets the pod template
 * annotation {@value #RESTARTED_AT_ANNOTATION} to the current time, and the workload's controller
 * rolls out pods that read the new data.
 *
 * <p>Once per data change: the reconciler calls it right after the Secret write that changed the
 * data, before the status records that change ({@code status.rolloutRestartedFor}); only an
 * operator that stopped in between has it called again, for the same data, by the next one. A
 * failed patch (the workload is missing, the patch is refused) is a Warning Event and nothing more:
 * it is not retried, the result is stored, so the resource stays Ready and the function is not
 * invoked again. The operator watches no workload, so a restart starts no reconcile. The
 * annotation's value is a time, never anything derived from the result.
 */
final class RolloutRestarter {

  /**
   * The operator's own key rather than kubectl's {@code kubectl.kubernetes.io/restartedAt}: the
   * {@code kubectl.kubernetes.io/} prefix belongs to kubectl, and a key of its own tells whoever
   * reads the pod template that this operator restarted it, not a person. The rollout is the same.
   */
  static final String RESTARTED_AT_ANNOTATION = "lambda.ephemeral.dev/restartedAt";

  static final String NOT_FOUND_REASON = "RolloutRestartTargetNotFound";
  static final String FAILED_REASON = "RolloutRestartFailed";

  private static final Logger LOG = LoggerFactory.getLogger(RolloutRestarter.class);
  private static final int HTTP_NOT_FOUND = 404;

  private final KubernetesClient client;
  private final InvocationObserver observer;
  private final Clock clock;

  RolloutRestarter(KubernetesClient client, InvocationObserver observer, Clock clock) {
    this.client = client;
    this.observer = observer;
    this.clock = clock;
  }

  /**
   * Restarts each of {@code targets} in {@code owner}'s namespace, because the data of Secret
   * {@code secretName} changed. Never throws: each outcome is an Event.
   */
  void restart(LambdaInvocation owner, List<RestartTarget> targets, String secretName) {
    if (targets.isEmpty()) {
      return;
    }
    String namespace = owner.getMetadata().getNamespace();
    // RFC 3339 with the fraction of a second: two changes within a second still differ.
    String patch = patch(clock.instant().toString());
    for (RestartTarget target : targets) {
      try {
        send(namespace, target, patch);
      } catch (KubernetesClientException e) {
        if (e.getCode() == HTTP_NOT_FOUND) {
          notRestarted(
              owner,
              target,
              NOT_FOUND_REASON,
              target + " not found in namespace " + namespace + "; not restarted");
        } else {
          notRestarted(
              owner,
              target,
              FAILED_REASON,
              failure(
                  target,
                  "HTTP "
                      + e.getCode()
                      + (e.getStatus() == null || e.getStatus().getReason() == null
                          ? ""
                          : " " + e.getStatus().getReason())));
        }
        continue;
      } catch (RuntimeException e) {
        notRestarted(
            owner, target, FAILED_REASON, failure(target, e.getClass().getSimpleName()));
        continue;
      }
      log(LOG.atInfo(), owner, target)
          .log("Restarted a rollout restart target: the Secret's data changed");
      tell(
          () ->
              observer.workloadRestarted(
                  owner, target + " restarted: the data of Secret " + secretName + " changed"));
    }
  }

  /** An observer that fails (an Event not written) must not turn a stored result into a failure. */
  private static void tell(Runnable observation) {
    try {
      observation.run();
    } catch (RuntimeException e) {
      LOG.atWarn()
          .addKeyValue("error", e.getClass().getSimpleName())
          .log("Could not report a rollout restart; continuing");
    }
  }

  private static String failure(RestartTarget target, String cause) {
    return target
        + " could not be restarted ("
        + cause
        + "); restart it with kubectl rollout restart "
        + target.kind().name().toLowerCase(Locale.ROOT)
        + "/"
        + target.name();
  }

  private void notRestarted(
      LambdaInvocation owner, RestartTarget target, String reason, String message) {
    log(LOG.atWarn(), owner, target)
        .addKeyValue(REASON, reason)
        .log("A rollout restart target was not restarted");
    tell(() -> observer.workloadNotRestarted(owner, reason, message));
  }

  private String patch(String restartedAt) {
    return client
        .getKubernetesSerialization()
        .asJson(
            Map.of(
                "spec",
                Map.of(
                    "template",
                    Map.of(
                        "metadata",
                        Map.of("annotations", Map.of(RESTARTED_AT_ANNOTATION, restartedAt))))));
  }

  /**
   * A merge patch of the named workload. The typed client is given an object naming it, so it
   * sends the PATCH alone, without reading the workload first (which would need get on it).
   */
  private void send(String namespace, RestartTarget target, String patch) {
    var context = PatchContext.of(PatchType.JSON_MERGE);
    ObjectMeta meta =
        new ObjectMetaBuilder().withName(target.name()).withNamespace(namespace).build();
    var apps = client.apps();
    switch (target.kind()) {
      case Deployment -> {
        var named = new Deployment();
        named.setMetadata(meta);
        apps.deployments().inNamespace(namespace).resource(named).patch(context, patch);
      }
      case StatefulSet -> {
        var named = new StatefulSet();
        named.setMetadata(meta);
        apps.statefulSets().inNamespace(namespace).resource(named).patch(context, patch);
      }
      case DaemonSet -> {
        var named = new DaemonSet();
        named.setMetadata(meta);
        apps.daemonSets().inNamespace(namespace).resource(named).patch(context, patch);
      }
    }
  }

  private static LoggingEventBuilder log(
      LoggingEventBuilder builder, LambdaInvocation owner, RestartTarget target) {
    return builder
        .addKeyValue(NAMESPACE, owner.getMetadata().getNamespace())
        .addKeyValue(NAME, owner.getMetadata().getName())
        .addKeyValue("targetKind", target.kind())
        .addKeyValue("targetName", target.name());
  }
}
