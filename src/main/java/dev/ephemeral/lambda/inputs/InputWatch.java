package dev.ephemeral.lambda.inputs;

import dev.ephemeral.lambda.customresource.KeyReference;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.PayloadInput;
import dev.ephemeral.lambda.model.PayloadSource;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Tells the reconciler when a ConfigMap or Secret that a LambdaInvocation's spec.payloadFrom names
 * changes, appears or goes: an index on the LambdaInvocation cache maps each such object to the
 * resources that read it, so a change of any other object reconciles nothing.
 *
 * <p>The informers keep only each object's name, namespace and resourceVersion (a {@link
 * ReducedStateItemStore}), never its data: memory stays small however many ConfigMaps and Secrets
 * the watched namespaces hold, and no Secret value sits in the operator's cache. The values are
 * read with a GET when a resource is reconciled ({@link PayloadInputs}). A reduced store cannot be
 * shared by several informers (each would drop the others' objects on a relist), so there is one
 * informer per watched namespace, each with its own store.
 *
 * <p>These informers are not the operator's result-Secret informer: that one selects the operator's
 * label and caches whole Secrets; the reconciler reads result Secrets only from it, by name.
 */
public final class InputWatch {

  /** The index on the LambdaInvocation cache: "Kind/namespace/name" of each object read. */
  static final String INDEX = "payload-inputs";

  private InputWatch() {}

  /** The event sources for ConfigMaps and Secrets, with the index their mappers use. */
  public static List<EventSource<?, LambdaInvocation>> eventSources(
      EventSourceContext<LambdaInvocation> context) {
    context.getPrimaryCache().addIndexer(INDEX, InputWatch::indexKeys);
    Set<String> namespaces = context.getControllerConfiguration().getEffectiveNamespaces();
    boolean all = namespaces.contains(Constants.WATCH_ALL_NAMESPACES);
    List<EventSource<?, LambdaInvocation>> sources = new ArrayList<>();
    for (String namespace : all ? Set.of(Constants.WATCH_ALL_NAMESPACES) : namespaces) {
      String suffix = all ? "" : "-" + namespace;
      sources.add(
          source(context, ConfigMap.class, PayloadSource.Kind.ConfigMap, namespace, suffix));
      sources.add(source(context, Secret.class, PayloadSource.Kind.Secret, namespace, suffix));
    }
    return sources;
  }

  private static <R extends HasMetadata> InformerEventSource<R, LambdaInvocation> source(
      EventSourceContext<LambdaInvocation> context,
      Class<R> type,
      PayloadSource.Kind kind,
      String namespace,
      String suffix) {
    var configuration =
        InformerEventSourceConfiguration.from(type, LambdaInvocation.class)
            .withName(
                "payload-input-" + kind.name().toLowerCase(java.util.Locale.ROOT) + "s" + suffix)
            .withNamespaces(Set.of(namespace))
            .withItemStore(
                new ReducedStateItemStore<>(
                    ReducedStateItemStore.NAME_KEY_STATE,
                    type,
                    context.getClient().getKubernetesSerialization()))
            .withSecondaryToPrimaryMapper(
                object ->
                    context
                        .getPrimaryCache()
                        .byIndex(
                            INDEX,
                            key(
                                kind,
                                object.getMetadata().getNamespace(),
                                object.getMetadata().getName()))
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .build();
    return new InformerEventSource<>(configuration, context);
  }

  /** The objects a resource reads; read leniently, since the spec may not be valid. */
  static List<String> indexKeys(LambdaInvocation resource) {
    if (resource.getSpec() == null || resource.getSpec().getPayloadFrom() == null) {
      return List.of();
    }
    String namespace = resource.getMetadata().getNamespace();
    return resource.getSpec().getPayloadFrom().stream()
        .filter(Objects::nonNull)
        .<String>mapMulti(
            (PayloadInput input, java.util.function.Consumer<String> keys) -> {
              name(input.getConfigMapKeyRef())
                  .forEach(n -> keys.accept(key(PayloadSource.Kind.ConfigMap, namespace, n)));
              name(input.getSecretKeyRef())
                  .forEach(n -> keys.accept(key(PayloadSource.Kind.Secret, namespace, n)));
            })
        .distinct()
        .toList();
  }

  private static List<String> name(KeyReference ref) {
    return ref == null || ref.getName() == null ? List.of() : List.of(ref.getName());
  }

  static String key(PayloadSource.Kind kind, String namespace, String name) {
    return kind + "/" + namespace + "/" + name;
  }
}
