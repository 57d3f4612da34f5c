package dev.ephemeral.lambda.sandbox;

import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reads Kubernetes objects from YAML or JSON files, as {@code kubectl apply -f} does. */
final class ManifestLoader {

  /** A file that cannot be used; the message is one line for the user. */
  static final class ManifestException extends Exception {
    ManifestException(String message) {
      super(message);
    }
  }

  private final KubernetesSerialization serialization = new KubernetesSerialization();

  /**
   * Loads every object of every file; a directory contributes its *.yaml, *.yml and *.json files,
   * sorted.
   */
  List<GenericKubernetesResource> load(List<Path> paths) throws ManifestException {
    var objects = new ArrayList<GenericKubernetesResource>();
    for (Path path : paths) {
      for (Path file : files(path)) {
        objects.addAll(loadFile(file));
      }
    }
    return objects;
  }

  private static List<Path> files(Path path) throws ManifestException {
    if (Files.isDirectory(path)) {
      try (Stream<Path> entries = Files.list(path)) {
        return entries
            .filter(Files::isRegularFile)
            .filter(p -> p.getFileName().toString().matches(".*\\.(ya?ml|json)$"))
            .sorted()
            .toList();
      } catch (IOException e) {
        throw new ManifestException("cannot read directory " + path + ": " + e.getMessage());
      }
    }
    if (!Files.isRegularFile(path)) {
      throw new ManifestException("no such file or directory: " + path);
    }
    return List.of(path);
  }

  private List<GenericKubernetesResource> loadFile(Path file) throws ManifestException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ManifestException("cannot read " + file + ": " + e.getMessage());
    }
    List<?> documents;
    try {
      Object parsed = serialization.unmarshal(text);
      documents =
          parsed instanceof List<?> list ? list : parsed == null ? List.of() : List.of(parsed);
    } catch (RuntimeException e) {
      throw new ManifestException(file + " is not valid YAML or JSON: " + firstLine(e));
    }
    var objects = new ArrayList<GenericKubernetesResource>();
    int index = 0;
    for (Object document : documents) {
      index++;
      if (document == null) {
        continue;
      }
      if (document instanceof KubernetesList list) {
        for (HasMetadata item : list.getItems()) {
          objects.add(generic(item, file, index));
        }
        continue;
      }
      if (!(document instanceof HasMetadata object)) {
        // A mapping without apiVersion or kind comes back as a RawExtension: say which field is
        // missing.
        if (document instanceof AnyType any && any.getValue() instanceof Map<?, ?> map) {
          for (String field : List.of("apiVersion", "kind")) {
            if (!(map.get(field) instanceof String value) || value.isBlank()) {
              throw new ManifestException(file + ": document " + index + " has no " + field);
            }
          }
        }
        throw new ManifestException(file + ": document " + index + " is not a Kubernetes object");
      }
      objects.add(generic(object, file, index));
    }
    return objects;
  }

  private GenericKubernetesResource generic(HasMetadata object, Path file, int index)
      throws ManifestException {
    var generic = serialization.convertValue(object, GenericKubernetesResource.class);
    String where = file + ": document " + index;
    if (generic.getApiVersion() == null || generic.getApiVersion().isBlank()) {
      throw new ManifestException(where + " has no apiVersion");
    }
    if (generic.getKind() == null || generic.getKind().isBlank()) {
      throw new ManifestException(where + " has no kind");
    }
    if (generic.getMetadata() == null || generic.getMetadata().getName() == null) {
      throw new ManifestException(where + " (" + generic.getKind() + ") has no metadata.name");
    }
    return generic;
  }

  private static String firstLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    String message = String.valueOf(root.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
