package dev.ephemeral.lambda.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads Kubernetes objects from YAML or JSON files as {@code kubectl apply -f} does: a file whose
 * first non-blank character is <code>{</code> is a stream of JSON documents, any other file a
 * stream of YAML documents read with kubectl's YAML rules ({@link KubectlYamlReader}); empty and
 * null documents are skipped, and a {@code List} contributes its items.
 */
final class ManifestLoader {

  /** A file that cannot be used; the message is one line for the user. */
  static final class ManifestException extends Exception {
    ManifestException(String message) {
      super(message);
    }
  }

  private final ObjectMapper mapper = SandboxJson.mapper();

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

  /** The one message for an infinite or NaN number, in YAML and JSON alike. */
  static ManifestException nonFinite(String source, int document, String path) {
    return new ManifestException(
        source
            + ": document "
            + document
            + ": "
            + path
            + " is not a finite number (infinity or NaN), which JSON cannot carry and kubectl"
            + " refuses");
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
    } catch (MalformedInputException e) {
      throw new ManifestException(file + " is not UTF-8 text");
    } catch (IOException e) {
      throw new ManifestException("cannot read " + file + ": " + e.getMessage());
    }
    String source = file.toString();
    List<JsonNode> documents =
        text.stripLeading().startsWith("{")
            ? new KubectlJsonReader(source).read(text)
            : new KubectlYamlReader(source).read(text);
    var objects = new ArrayList<GenericKubernetesResource>();
    int index = 0;
    for (JsonNode document : documents) {
      index++;
      if (document == null) {
        continue;
      }
      String where = file + ": document " + index;
      requireObject(document, where);
      if ("List".equals(document.path("kind").asText()) && document.path("items").isArray()) {
        int item = 0;
        for (JsonNode element : document.path("items")) {
          item++;
          String itemWhere = where + " item " + item;
          requireObject(element, itemWhere);
          objects.add(generic(element, itemWhere));
        }
        continue;
      }
      objects.add(generic(document, where));
    }
    return objects;
  }

  private static void requireObject(JsonNode document, String where) throws ManifestException {
    if (!document.isObject()) {
      throw new ManifestException(where + " is not a Kubernetes object");
    }
    for (String field : List.of("apiVersion", "kind")) {
      JsonNode value = document.get(field);
      if (value == null || !value.isTextual() || value.asText().isBlank()) {
        throw new ManifestException(where + " has no " + field);
      }
    }
  }

  private GenericKubernetesResource generic(JsonNode document, String where)
      throws ManifestException {
    GenericKubernetesResource generic;
    try {
      generic = mapper.treeToValue(document, GenericKubernetesResource.class);
    } catch (JsonProcessingException e) {
      throw new ManifestException(where + " has a malformed metadata field");
    }
    if (generic.getMetadata() == null || generic.getMetadata().getName() == null) {
      throw new ManifestException(where + " (" + generic.getKind() + ") has no metadata.name");
    }
    return generic;
  }
}
