package dev.ephemeral.lambda.deploy;

import static dev.ephemeral.lambda.deploy.DeployFiles.DEPLOY;
import static dev.ephemeral.lambda.deploy.DeployFiles.KUSTOMIZATION;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small kustomize, enough to render deploy/ without a kustomize binary: resources (files and
 * directories), components, strategic-merge patches given by path, and images. It refuses any field
 * it does not implement, so a kustomization that uses more fails the tests rather than being
 * misread. Lists whose items all have a {@code name} are merged by name (containers, env, volumes),
 * other lists are replaced, as strategic merge patch does for the fields deploy/ patches. {@link
 * KubectlKustomizeTest} checks that it renders what {@code kubectl kustomize} renders.
 */
final class Kustomize {

  static final String KUSTOMIZATION_KIND = "Kustomization";
  static final String COMPONENT_KIND = "Component";
  static final Set<String> SUPPORTED_FIELDS =
      Set.of("apiVersion", "kind", "resources", "components", "patches", "images");

  /**
   * The rendered objects, and every file read to render them. {@link HelmChart} renders the chart
   * into one too (with no files), so the same checks read both.
   */
  record Build(List<ObjectNode> objects, Set<Path> files) {

    List<ObjectNode> ofKind(String kind) {
      return objects.stream().filter(o -> DeployFiles.kind(o).equals(kind)).toList();
    }

    ObjectNode one(String kind, String namespace, String name) {
      return objects.stream()
          .filter(o -> DeployFiles.kind(o).equals(kind))
          .filter(o -> DeployFiles.namespace(o).equals(namespace))
          .filter(o -> DeployFiles.name(o).equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " " + namespace + "/" + name));
    }
  }

  private Kustomize() {}

  static Build build(Path dir) {
    return build(dir, List.of());
  }

  /** Renders dir, as if its kustomization.yaml also listed extraComponents under components. */
  static Build build(Path dir, List<Path> extraComponents) {
    Set<Path> files = new LinkedHashSet<>();
    List<ObjectNode> objects = render(dir.normalize(), KUSTOMIZATION_KIND, extraComponents, files);
    Set<String> ids = new LinkedHashSet<>();
    for (ObjectNode object : objects) {
      if (!ids.add(DeployFiles.id(object))) {
        throw new AssertionError(dir + " renders " + DeployFiles.id(object) + " twice");
      }
    }
    return new Build(objects, files);
  }

  /**
   * The kustomization.yaml of dir, checked to be of the given kind and to use only supported
   * fields.
   */
  static ObjectNode kustomization(Path dir, String expectedKind) {
    Path file = dir.resolve(KUSTOMIZATION);
    if (!Files.isRegularFile(file)) {
      throw new AssertionError(dir + " has no " + KUSTOMIZATION);
    }
    ObjectNode k = DeployFiles.document(file);
    String expectedApiVersion =
        expectedKind.equals(COMPONENT_KIND)
            ? "kustomize.config.k8s.io/v1alpha1"
            : "kustomize.config.k8s.io/v1beta1";
    if (!k.path("apiVersion").asText().equals(expectedApiVersion)
        || !DeployFiles.kind(k).equals(expectedKind)) {
      throw new AssertionError(
          file + " must be apiVersion " + expectedApiVersion + ", kind " + expectedKind);
    }
    k.fieldNames()
        .forEachRemaining(
            field -> {
              if (!SUPPORTED_FIELDS.contains(field)) {
                throw new AssertionError(
                    file
                        + ": field "
                        + field
                        + " is not supported by this test's Kustomize (deprecated, or extend"
                        + " Kustomize and check it against kubectl kustomize)");
              }
            });
    return k;
  }

  /** Resolves a path of a kustomization and checks it stays inside deploy/. */
  static Path resolve(Path dir, String entry) {
    if (entry.contains("://") || entry.startsWith("github.com/")) {
      throw new AssertionError(dir + ": remote " + entry + " is not allowed in deploy/");
    }
    Path resolved = dir.resolve(entry).normalize();
    if (!resolved.startsWith(DEPLOY)) {
      throw new AssertionError(dir + ": " + entry + " points outside deploy/");
    }
    if (!Files.exists(resolved)) {
      throw new AssertionError(
          dir.resolve(KUSTOMIZATION) + " lists " + entry + ", which does not exist");
    }
    return resolved;
  }

  static List<String> entries(JsonNode kustomization, String field) {
    List<String> entries = new ArrayList<>();
    for (JsonNode entry : kustomization.path(field)) {
      if (field.equals("patches")) {
        Set<String> keys = new LinkedHashSet<>();
        entry.fieldNames().forEachRemaining(keys::add);
        if (!keys.equals(Set.of("path"))) {
          throw new AssertionError(
              "only patches with a path alone (strategic merge) are supported, got " + entry);
        }
        entries.add(entry.path("path").asText());
      } else {
        entries.add(entry.asText());
      }
    }
    return entries;
  }

  private static List<ObjectNode> render(
      Path dir, String kind, List<Path> extraComponents, Set<Path> files) {
    ObjectNode k = kustomization(dir, kind);
    files.add(dir.resolve(KUSTOMIZATION));
    List<ObjectNode> objects = new ArrayList<>();
    for (String entry : entries(k, "resources")) {
      Path resource = resolve(dir, entry);
      if (Files.isDirectory(resource)) {
        objects.addAll(render(resource, KUSTOMIZATION_KIND, List.of(), files));
      } else {
        files.add(resource);
        objects.addAll(DeployFiles.documents(resource));
      }
    }
    List<Path> components = new ArrayList<>();
    entries(k, "components").forEach(entry -> components.add(resolve(dir, entry)));
    components.addAll(extraComponents);
    for (Path component : components) {
      if (!Files.isDirectory(component)) {
        throw new AssertionError(dir + ": component " + component + " is not a directory");
      }
      List<ObjectNode> ownObjects = render(component, COMPONENT_KIND, List.of(), files);
      objects.addAll(ownObjects);
      applyPatches(component, kustomization(component, COMPONENT_KIND), objects, files);
    }
    if (!kind.equals(COMPONENT_KIND)) {
      applyPatches(dir, k, objects, files);
    }
    applyImages(k, objects);
    return objects;
  }

  private static void applyPatches(
      Path dir, ObjectNode k, List<ObjectNode> objects, Set<Path> files) {
    for (String entry : entries(k, "patches")) {
      Path file = resolve(dir, entry);
      files.add(file);
      for (ObjectNode patch : DeployFiles.documents(file)) {
        ObjectNode target =
            objects.stream()
                .filter(o -> DeployFiles.kind(o).equals(DeployFiles.kind(patch)))
                .filter(o -> DeployFiles.name(o).equals(DeployFiles.name(patch)))
                .filter(o -> DeployFiles.namespace(o).equals(DeployFiles.namespace(patch)))
                .findFirst()
                .orElseThrow(
                    () ->
                        new AssertionError(
                            file
                                + " patches "
                                + DeployFiles.id(patch)
                                + ", which is not among the objects rendered"));
        merge(target, patch);
      }
    }
  }

  private static void applyImages(ObjectNode k, List<ObjectNode> objects) {
    for (JsonNode image : k.path("images")) {
      String name = image.path("name").asText();
      for (ObjectNode object : objects) {
        for (JsonNode container :
            object.path("spec").path("template").path("spec").path("containers")) {
          String current = container.path("image").asText();
          int at = current.indexOf('@');
          int colon = current.lastIndexOf(':');
          String repository =
              at >= 0
                  ? current.substring(0, at)
                  : colon > current.lastIndexOf('/') ? current.substring(0, colon) : current;
          if (!repository.equals(name)) {
            continue;
          }
          String tag =
              at >= 0
                  ? current.substring(at)
                  : colon > current.lastIndexOf('/') ? current.substring(colon) : "";
          String newName = image.path("newName").asText(repository);
          if (image.has("newTag")) {
            tag = ":" + image.path("newTag").asText();
          }
          if (image.has("digest")) {
            tag = "@" + image.path("digest").asText();
          }
          ((ObjectNode) container).put("image", newName + tag);
        }
      }
    }
  }

  /** Strategic merge, for the shapes deploy/ uses. */
  static void merge(ObjectNode target, ObjectNode patch) {
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String key = field.getKey();
      JsonNode value = field.getValue();
      JsonNode current = target.get(key);
      if (value.isNull()) {
        target.remove(key);
      } else if (value.isObject() && current != null && current.isObject()) {
        merge((ObjectNode) current, (ObjectNode) value);
      } else if (value.isArray()
          && current != null
          && current.isArray()
          && named(value)
          && named(current)) {
        mergeByName((ArrayNode) current, (ArrayNode) value);
      } else {
        target.set(key, value.deepCopy());
      }
    }
  }

  private static boolean named(JsonNode array) {
    for (JsonNode item : array) {
      if (!item.isObject() || !item.hasNonNull("name")) {
        return false;
      }
    }
    return true;
  }

  /**
   * As strategic merge patch orders them: the patch's items first, then the others in their order.
   */
  private static void mergeByName(ArrayNode target, ArrayNode patch) {
    List<JsonNode> merged = new ArrayList<>();
    Set<String> patched = new LinkedHashSet<>();
    for (JsonNode item : patch) {
      String name = item.path("name").asText();
      patched.add(name);
      JsonNode existing = null;
      for (JsonNode candidate : target) {
        if (candidate.path("name").asText().equals(name)) {
          existing = candidate;
        }
      }
      if (existing == null) {
        merged.add(item.deepCopy());
      } else {
        merge((ObjectNode) existing, (ObjectNode) item);
        merged.add(existing);
      }
    }
    for (JsonNode item : target) {
      if (!patched.contains(item.path("name").asText())) {
        merged.add(item);
      }
    }
    target.removeAll();
    merged.forEach(target::add);
  }
}
