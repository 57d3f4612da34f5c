package dev.ephemeral.lambda.events;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Trigger;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events on a LambdaInvocation for failures, conflicts, expiry, the restarts of its
 * rollout restart targets and a given-up delete-time call, with the condition's reason and (safe)
 * message, and on a LambdaInvocationPolicy that is ignored because its spec does not fit the model.
 * An Event that cannot be written is logged and dropped.
 */
public final class EventRecorder implements InvocationObserver {

  public static final String COMPONENT = "lambda-invocation-operator";
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
  private static final int MAX_MESSAGE = 1024;

  /** Reason of the Event when spec.onDelete's call is given up and the finalizer removed. */
  public static final String ON_DELETE_FAILED = "OnDeleteFailed";

  /** The namespace of Events about cluster-scoped objects, as client-go's recorder uses. */
  static final String CLUSTER_SCOPED_EVENTS = "default";

  private final KubernetesClient client;
  private final Clock clock;

  public EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  @Override
  public void invoked(
      LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency) {
    // Successes are in the status; Events are for what needs attention.
  }

  @Override
  public void failed(LambdaInvocation resource, ReadyReason reason, String message) {
    record(resource, "Warning", reason.name(), message);
  }

  @Override
  public void secretExpired(LambdaInvocation resource, String message) {
    record(resource, "Normal", ReadyReason.Expired.name(), message);
  }

  @Override
  public void workloadRestarted(LambdaInvocation resource, String message) {
    record(resource, "Normal", "RolloutRestarted", message);
  }

  @Override
  public void workloadNotRestarted(LambdaInvocation resource, String reason, String message) {
    record(resource, "Warning", reason, message);
  }

  @Override
  public void deleteCallAbandoned(LambdaInvocation resource, String message) {
    record(resource, "Warning", ON_DELETE_FAILED, message);
  }

  @Override
  public void policyIgnored(LambdaInvocationPolicy policy, String message) {
    record(policy, "Warning", "InvalidSpec", message);
  }

  private void record(HasMetadata resource, String type, String reason, String message) {
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    var meta = resource.getMetadata();
    // An Event about a cluster-scoped object lives in "default", where kubectl describe looks.
    String namespace = meta.getNamespace() == null ? CLUSTER_SCOPED_EVENTS : meta.getNamespace();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(
                meta.getName()
                    + "."
                    + UUID.randomUUID().toString().replace("-", "").substring(0, 16))
            .withNamespace(namespace)
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(resource.getApiVersion())
                    .withKind(resource.getKind())
                    .withName(meta.getName())
                    .withNamespace(meta.getNamespace())
                    .withUid(meta.getUid())
                    .withResourceVersion(meta.getResourceVersion())
                    .build())
            .withType(type)
            .withReason(reason)
            .withMessage(
                message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .withReportingInstance(System.getenv().getOrDefault("HOSTNAME", COMPONENT))
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .build();
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
    } catch (KubernetesClientException e) {
      LOG.atWarn()
          .addKeyValue("namespace", meta.getNamespace())
          .addKeyValue("name", meta.getName())
          .addKeyValue("reason", reason)
          .addKeyValue("httpCode", e.getCode())
          .log("Could not record an Event");
    }
  }
}
