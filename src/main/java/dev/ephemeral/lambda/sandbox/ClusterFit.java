package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.Optional;

/**
 * Whether a LambdaInvocation fits a Kubernetes cluster with default limits. The Invoke API takes a
 * payload of up to 6,291,456 bytes, but etcd stores a request of at most 1.5 MiB by default and the
 * API server refuses a request body over 3 MiB, so a cluster refuses a much smaller object than the
 * sandbox runs.
 */
final class ClusterFit {

  /** etcd's default --max-request-bytes: the largest object a default cluster stores. */
  static final int MAX_STORED_OBJECT_BYTES = 1_572_864;

  /** The largest request body a Kubernetes API server reads. */
  static final int MAX_REQUEST_BYTES = 3 * 1024 * 1024;

  private ClusterFit() {}

  /** A one-line warning naming the resource and the sizes, when the object is too large. */
  static Optional<String> warning(
      String id, ObjectMapper mapper, GenericKubernetesResource object, JsonNode payload) {
    long objectBytes = bytes(mapper, object);
    if (objectBytes <= MAX_STORED_OBJECT_BYTES) {
      return Optional.empty();
    }
    return Optional.of(
        id
            + " is "
            + objectBytes
            + " bytes as JSON (its payload "
            + bytes(mapper, payload)
            + "), more than the "
            + MAX_STORED_OBJECT_BYTES
            + " bytes a default cluster stores (etcd's limit; the API server reads at most "
            + MAX_REQUEST_BYTES
            + "): a cluster would refuse it, the sandbox runs it");
  }

  private static long bytes(ObjectMapper mapper, Object value) {
    try {
      return mapper.writeValueAsBytes(value).length;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a loaded manifest always serializes", e);
    }
  }
}
