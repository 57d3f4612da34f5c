package dev.ephemeral.lambda.events;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events, and counts a repeat of the same Event (same object, type, reason and
 * message) on the Event already written, as client-go's recorder does: a resource refreshed every
 * minute has one {@code Invoked} Event whose count grows ({@code x60 over 1h} in kubectl
 * describe), not sixty objects. An Event that cannot be written is logged and dropped.
 */
final class EventWriter {

  private static final Logger LOG = LoggerFactory.getLogger(EventWriter.class);
  private static final int MAX_MESSAGE = 1024;

  /** As many Events as client-go's recorder remembers; the oldest repeat starts a new Event. */
  private static final int REMEMBERED = 4096;

  private record Key(String namespace, String uid, String type, String reason, String message) {}

  private record Written(String name, int count) {}

  private final KubernetesClient client;
  private final Clock clock;
  private final String instance = System.getenv().getOrDefault("HOSTNAME", EventRecorder.COMPONENT);

  private final Map<Key, Written> written =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Written> eldest) {
          return size() > REMEMBERED;
        }
      };

  EventWriter(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  void write(HasMetadata resource, String namespace, String type, String reason, String message) {
    String text = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message;
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    Key key = new Key(namespace, resource.getMetadata().getUid(), type, reason, text);
    Written before;
    synchronized (written) {
      before = written.get(key);
    }
    try {
      if (before == null || !counted(namespace, before, now)) {
        String name = create(resource, namespace, type, reason, text, now);
        remember(key, new Written(name, 1));
      } else {
        remember(key, new Written(before.name(), before.count() + 1));
      }
    } catch (KubernetesClientException e) {
      LOG.atWarn()
          .addKeyValue("namespace", resource.getMetadata().getNamespace())
          .addKeyValue("name", resource.getMetadata().getName())
          .addKeyValue("reason", reason)
          .addKeyValue("httpCode", e.getCode())
          .log("Could not record an Event");
    }
  }

  /**
   * Counts one more on the Event written before; false when it is gone (the API server keeps
   * Events for an hour), so a new one is written.
   */
  private boolean counted(String namespace, Written before, String now) {
    try {
      // Patched through a stub of the Event, so the client sends the patch alone (a patch by
      // name would read the Event first).
      client
          .v1()
          .events()
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(before.name())
                  .withNamespace(namespace)
                  .endMetadata()
                  .build())
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              Serialization.asJson(Map.of("count", before.count() + 1, "lastTimestamp", now)));
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  private String create(
      HasMetadata resource,
      String namespace,
      String type,
      String reason,
      String message,
      String now) {
    var meta = resource.getMetadata();
    String name =
        meta.getName() + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name)
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
            .withMessage(message)
            .withNewSource()
            .withComponent(EventRecorder.COMPONENT)
            .endSource()
            .withReportingComponent(EventRecorder.COMPONENT)
            .withReportingInstance(instance)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .build();
    client.v1().events().inNamespace(namespace).resource(event).create();
    return name;
  }

  private void remember(Key key, Written event) {
    synchronized (written) {
      written.put(key, event);
    }
  }
}
