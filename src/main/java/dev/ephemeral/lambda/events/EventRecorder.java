package dev.ephemeral.lambda.events;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events on a LambdaInvocation for successful invocations, failures, conflicts,
 * expiry, the restarts of its rollout restart targets and a given-up delete-time call, with the
 * condition's reason and (safe) message, and on a LambdaInvocationPolicy that is ignored because its
 * spec does not fit the model. Repeats are counted on one Event ({@link EventWriter}).
 *
 * <p>Events are written by one thread of their own, in the order recorded, as client-go's
 * broadcaster does: a reconcile never waits for an Event's request, so a stored result costs the
 * reconcile only its Secret and status writes. When the API server is slower than the Events come
 * (more than {@link #QUEUED} waiting), the newest are dropped with a warning: an Event is a report,
 * the status holds the state.
 */
public final class EventRecorder implements InvocationObserver {

  public static final String COMPONENT = "lambda-invocation-operator";

  /** Reason of the Event when spec.onDelete's call is given up and the finalizer removed. */
  public static final String ON_DELETE_FAILED = "OnDeleteFailed";

  /** The namespace of Events about cluster-scoped objects, as client-go's recorder uses. */
  static final String CLUSTER_SCOPED_EVENTS = "default";

  static final int QUEUED = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  private final EventWriter writer;
  private final ExecutorService events =
      new ThreadPoolExecutor(
          1,
          1,
          0,
          TimeUnit.MILLISECONDS,
          new ArrayBlockingQueue<>(QUEUED),
          runnable -> {
            Thread thread = new Thread(runnable, "event-recorder");
            thread.setDaemon(true);
            return thread;
          });

  public EventRecorder(KubernetesClient client, Clock clock) {
    this.writer = new EventWriter(client, clock);
  }

  @Override
  public void invoked(
      LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency) {
    // A success has its Event once its result is written (secretWritten); failures theirs once
    // they are the status (failed).
  }

  @Override
  public void secretWritten(LambdaInvocation resource, String message) {
    record(resource, "Normal", ReadyReason.Invoked.name(), message);
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
    // An Event about a cluster-scoped object lives in "default", where kubectl describe looks.
    String namespace = resource.getMetadata().getNamespace();
    String eventNamespace = namespace == null ? CLUSTER_SCOPED_EVENTS : namespace;
    try {
      events.execute(() -> writer.write(resource, eventNamespace, type, reason, message));
    } catch (RejectedExecutionException e) {
      LOG.atWarn()
          .addKeyValue("namespace", namespace)
          .addKeyValue("name", resource.getMetadata().getName())
          .addKeyValue("reason", reason)
          .log("Event dropped: too many Events waiting to be written");
    }
  }
}
