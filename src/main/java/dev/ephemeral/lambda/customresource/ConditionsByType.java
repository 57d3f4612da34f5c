package dev.ephemeral.lambda.customresource;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/**
 * Marks a status's conditions list (the property named by the customizer's input) as a map keyed
 * by {@code type}, as metav1.Condition lists are: each type appears once, and server-side apply
 * merges the list by type. Used by the CRD generator only; the merge-patch customizer cannot reach
 * a nested property without replacing its siblings.
 */
public final class ConditionsByType implements SchemaCustomizer.Customizer {

  @Override
  public JSONSchemaProps apply(
      JSONSchemaProps status, String property, KubernetesSerialization serialization) {
    JSONSchemaProps conditions = status.getProperties().get(property);
    if (conditions == null) {
      throw new IllegalArgumentException("the schema has no property " + property);
    }
    conditions.setXKubernetesListType("map");
    conditions.setXKubernetesListMapKeys(List.of("type"));
    return status;
  }
}
