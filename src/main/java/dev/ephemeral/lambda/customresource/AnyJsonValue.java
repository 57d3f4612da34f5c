package dev.ephemeral.lambda.customresource;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;

/**
 * Schema stand-in for a field that holds any JSON value: no type, and
 * x-kubernetes-preserve-unknown-fields, so the CRD accepts objects, arrays, strings, numbers and
 * booleans alike.
 */
@SchemaCustomizer(value = SchemaCustomizer.MergePatchCustomizer.class, input = "{\"type\":null}")
final class AnyJsonValue {
  private AnyJsonValue() {}
}
