package dev.ephemeral.lambda.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads manifests into fabric8's typed model, so that a wrong apiVersion or kind, or a misspelt
 * field (which the API server's strict field validation would reject), fails a test here.
 */
final class KubernetesModel {

  static final KubernetesSerialization SERIALIZATION = serialization();

  /**
   * Kubernetes' own types, the Prometheus Operator's (the chart's ServiceMonitor...) and the
   * operator's own.
   */
  private static final List<String> MODEL_PACKAGES =
      List.of(
          "io.fabric8.kubernetes.api.model",
          "io.fabric8.openshift.api.model.monitoring",
          "dev.ephemeral.lambda.customresource");

  private KubernetesModel() {}

  /** fabric8's model, plus the operator's own cluster-scoped kind that deploy/ installs. */
  private static KubernetesSerialization serialization() {
    var serialization = new KubernetesSerialization();
    serialization.registerKubernetesResource(
        dev.ephemeral.lambda.customresource.LambdaInvocationPolicy.class);
    return serialization;
  }

  /** The typed object; fails when fabric8 knows no type for its apiVersion and kind. */
  static KubernetesResource typed(JsonNode manifest) {
    KubernetesResource resource = SERIALIZATION.convertValue(manifest, KubernetesResource.class);
    if (resource == null || resource instanceof GenericKubernetesResource) {
      throw new AssertionError(
          DeployFiles.id(manifest)
              + ": unknown apiVersion/kind "
              + manifest.path("apiVersion").asText()
              + " "
              + DeployFiles.kind(manifest));
    }
    return resource;
  }

  static <T> T typed(JsonNode manifest, Class<T> type) {
    return SERIALIZATION.convertValue(manifest, type);
  }

  /** Fields that the typed model does not know, as paths such as {@code spec.template.spec.foo}. */
  static List<String> unknownFields(Object resource) {
    List<String> unknown = new ArrayList<>();
    walk(resource, "", unknown, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
    return unknown;
  }

  private static void walk(Object value, String path, List<String> unknown, Set<Object> seen) {
    if (value == null || !seen.add(value)) {
      return;
    }
    if (value instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        walk(item, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, unknown, seen));
      return;
    }
    String pkg = value.getClass().getPackageName();
    if (MODEL_PACKAGES.stream().noneMatch(pkg::startsWith)) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || Modifier.isStatic(getter.getModifiers())
          || getter.getDeclaringClass() == Object.class
          || !getter.getName().startsWith("get")) {
        continue;
      }
      Object child;
      try {
        child = getter.invoke(value);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      String field = getter.getName().substring(3);
      if (field.equals("AdditionalProperties") && child instanceof Map<?, ?> extra) {
        if (!extra.isEmpty()) {
          unknown.add((path.isEmpty() ? "" : path + ": ") + extra.keySet());
        }
        continue;
      }
      String name = Character.toLowerCase(field.charAt(0)) + field.substring(1);
      walk(child, path.isEmpty() ? name : path + "." + name, unknown, seen);
    }
  }
}
