package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * Jackson for the sandbox's own reading and writing of objects: as deep as a Kubernetes API server
 * takes them ({@link ClusterValues#MAX_DEPTH} levels), where Jackson stops at 1,000 by default.
 */
final class SandboxJson {

  /**
   * A list wraps an object in two more levels ({@code items} and the array), a watch event in one.
   */
  private static final int WRAPPING_LEVELS = 2;

  private SandboxJson() {}

  static JsonFactory factory() {
    int depth = ClusterValues.MAX_DEPTH + WRAPPING_LEVELS;
    return JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(depth).build())
        .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(depth).build())
        .build();
  }

  static ObjectMapper mapper() {
    return JsonMapper.builder(factory()).build();
  }

  /** fabric8's serialization (its modules and the Kubernetes model) on such a mapper. */
  static KubernetesSerialization kubernetesSerialization() {
    return new KubernetesSerialization(mapper(), true);
  }
}
