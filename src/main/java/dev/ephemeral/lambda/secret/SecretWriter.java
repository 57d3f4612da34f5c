package dev.ephemeral.lambda.secret;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.model.SecretTypes;
import dev.ephemeral.lambda.model.Shard;
import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.Preconditions;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Writes result Secrets through the API server. Every write is conditional, so it never lands on a
 * Secret that is not the owner's: a create fails (409) when any Secret holds the name, an update
 * names the resourceVersion of the owner's Secret it replaces, a delete its uid and
 * resourceVersion. On a 409 the writer reads what holds the name now (a Secret the operator does
 * not watch included) and gives up on a foreign one.
 */
public final class SecretWriter {

  private static final int HTTP_NOT_FOUND = 404;
  private static final int HTTP_CONFLICT = 409;
  private static final int MAX_WRITE_ATTEMPTS = 3;

  private final KubernetesClient client;
  private final OwnWrites ownWrites;

  /**
   * Lets the Secret informer recognise the operator's own writes, so that they start no reconcile.
   */
  public interface OwnWrites {
    /**
     * Marks {@code desired} as the write that replaces {@code previousVersion} (null: a create).
     */
    void beforeWrite(Secret desired, String previousVersion);

    /** {@code stored} was written, replacing {@code replaced} (empty: created). */
    void afterWrite(Secret stored, Optional<Secret> replaced);

    OwnWrites NONE =
        new OwnWrites() {
          @Override
          public void beforeWrite(Secret desired, String previousVersion) {}

          @Override
          public void afterWrite(Secret stored, Optional<Secret> replaced) {}
        };
  }

  public SecretWriter(KubernetesClient client) {
    this(client, OwnWrites.NONE);
  }

  public SecretWriter(KubernetesClient client, OwnWrites ownWrites) {
    this.client = client;
    this.ownWrites = ownWrites;
  }

  public Optional<Secret> get(String namespace, String name) {
    return Optional.ofNullable(client.secrets().inNamespace(namespace).withName(name).get());
  }

  /**
   * What a write stored.
   *
   * @param replaced the version it replaced (deleted first when the type changed), empty when it
   *     created the Secret
   */
  public record Written(Secret stored, Optional<Secret> replaced) {}

  /**
   * Creates or replaces the Secret. A rewrite of the owner's own Secret keeps what others added to
   * it (labels, annotations, finalizers), unless its type changes (it is then deleted and created
   * anew); a takeover of a predecessor's Secret keeps nothing of it.
   * {@code existing} is the Secret as the caller knows it, from the cache, where a Secret the
   * operator does not watch shows as absent: the create then fails with 409, this reads the Secret
   * that holds the name, and gives up on a foreign one. Only a Secret that is the owner's (or its
   * predecessor's) is updated, and only the version that was checked.
   *
   * @return what was stored, or empty when a foreign Secret appeared in the meantime
   */
  public Optional<Written> write(
      Secret desired, Optional<Secret> existing, LambdaInvocation owner) {
    Optional<Secret> current = existing;
    for (int attempt = 1; ; attempt++) {
      try {
        if (current.isEmpty()) {
          Secret create = copy(desired);
          ownWrites.beforeWrite(create, null);
          return Optional.of(written(client.secrets().resource(create).create(), Optional.empty()));
        }
        Secret previous = current.get();
        if (!ResultSecret.isOwnedOrLeftFor(previous, owner)) {
          return Optional.empty();
        }
        if (!SecretTypes.typeOf(previous).equals(SecretTypes.typeOf(desired))) {
          return Optional.of(replaceType(desired, previous));
        }
        Secret update = ResultSecret.keepingForeignMetadata(copy(desired), previous);
        String previousVersion = previous.getMetadata().getResourceVersion();
        update.getMetadata().setResourceVersion(previousVersion);
        ownWrites.beforeWrite(update, previousVersion);
        return Optional.of(written(client.secrets().resource(update).update(), current));
      } catch (KubernetesClientException e) {
        // 409: changed or created meanwhile; 404: deleted meanwhile. Look again.
        boolean raced = e.getCode() == HTTP_CONFLICT || e.getCode() == HTTP_NOT_FOUND;
        if (!raced || attempt >= MAX_WRITE_ATTEMPTS) {
          throw e;
        }
        current = get(desired.getMetadata().getNamespace(), desired.getMetadata().getName());
      }
    }
  }

  /**
   * Moves the owner's {@code secret} to {@code shard}: its shard label set as the shard's, nothing
   * else changed. The update names the version that was read, so a Secret changed or replaced
   * meanwhile is not touched (409, and the next reconcile looks again).
   *
   * @return the Secret as stored
   */
  public Secret relabel(Secret secret, Shard shard) {
    Secret update = copy(secret);
    var labels =
        new TreeMap<String, String>(
            update.getMetadata().getLabels() == null ? Map.of() : update.getMetadata().getLabels());
    labels.remove(Shard.LABEL);
    labels.putAll(shard.labels());
    update.getMetadata().setLabels(labels);
    String previousVersion = secret.getMetadata().getResourceVersion();
    ownWrites.beforeWrite(update, previousVersion);
    return written(client.secrets().resource(update).update(), Optional.of(secret)).stored();
  }

  /**
   * A Secret's type never changes, so a Secret of another type is deleted (this very version, see
   * {@link #deleteExactly}) and {@code desired} created in its place: nothing of the old one is
   * kept. A 409 (it changed or was replaced meanwhile) or 404 goes back to the caller's retry.
   */
  private Written replaceType(Secret desired, Secret previous) {
    deleteExactly(previous.getMetadata().getNamespace(), previous);
    Secret create = copy(desired);
    ownWrites.beforeWrite(create, null);
    Secret stored = client.secrets().resource(create).create();
    ownWrites.afterWrite(stored, Optional.empty());
    return new Written(stored, Optional.of(previous));
  }

  private Written written(Secret stored, Optional<Secret> replaced) {
    ownWrites.afterWrite(stored, replaced);
    return new Written(stored, replaced);
  }

  /** A deep copy, through fabric8's builders (each nested object and map is copied). */
  private static Secret copy(Secret secret) {
    return new SecretBuilder(secret).build();
  }

  /**
   * Deletes the Secret if it exists and is controlled by {@code owner}. The delete carries the uid
   * and resourceVersion of the Secret that was checked as preconditions, so a Secret replaced or
   * changed in the meantime, by anyone, is not deleted: the API server refuses with 409 and the
   * check is made again on what is there now.
   *
   * @return whether this call deleted the Secret
   */
  public boolean deleteIfControlled(String namespace, String name, LambdaInvocation owner) {
    for (int attempt = 1; ; attempt++) {
      var secret = get(namespace, name);
      if (secret.isEmpty() || !ResultSecret.isControlledBy(secret.get(), owner)) {
        return false;
      }
      try {
        deleteExactly(namespace, secret.get());
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() == HTTP_NOT_FOUND) {
          return false;
        }
        if (e.getCode() != HTTP_CONFLICT || attempt >= MAX_WRITE_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /**
   * Deletes this very version of {@code secret}. fabric8's typed delete sends a resourceVersion
   * precondition at most ({@code lockResourceVersion}), never a uid, hence the plain request.
   */
  private void deleteExactly(String namespace, Secret secret) {
    var meta = secret.getMetadata();
    var options = new DeleteOptions();
    options.setPreconditions(new Preconditions(meta.getResourceVersion(), meta.getUid()));
    client.raw("/api/v1/namespaces/" + namespace + "/secrets/" + meta.getName(), "DELETE", options);
  }
}
