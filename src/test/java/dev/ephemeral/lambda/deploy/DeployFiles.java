package dev.ephemeral.lambda.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The files under {@code deploy/} and how to read them. Paths are relative to the project root. */
final class DeployFiles {

  static final Path DEPLOY = Path.of("deploy");

  /** Owned by the Argo CD work: checked by its own tests, not here. */
  static final Path ARGOCD = DEPLOY.resolve("argocd");

  static final Path CLUSTER_WIDE = DEPLOY;
  static final Path NAMESPACED = DEPLOY.resolve("namespaced");
  static final Path CLUSTER_RBAC = DEPLOY.resolve("rbac.yaml");
  static final Path NAMESPACED_RBAC = NAMESPACED.resolve("rbac.yaml");
  static final Path CRD_DIR = DEPLOY.resolve("crd");
  static final Path AWS_CREDENTIALS = DEPLOY.resolve("aws-credentials");
  static final Path IRSA = AWS_CREDENTIALS.resolve("irsa");
  static final Path STATIC_KEYS = AWS_CREDENTIALS.resolve("static-keys");
  static final Path STATIC_KEYS_SECRET = STATIC_KEYS.resolve("static-keys-secret.yaml");

  static final String KUSTOMIZATION = "kustomization.yaml";
  static final String OPERATOR_NAMESPACE = "lambda-invocation-system";
  static final String OPERATOR_NAME = "lambda-invocation-operator";
  static final String CONTAINER_NAME = "operator";

  static final YAMLMapper YAML = new YAMLMapper();

  private DeployFiles() {}

  /** Every YAML file under deploy/, except deploy/argocd/. */
  static List<Path> yamlFiles() {
    try (Stream<Path> files = Files.walk(DEPLOY)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> !p.startsWith(ARGOCD))
          .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every directory under deploy/ (but deploy/argocd/) that holds a kustomization.yaml. */
  static List<Path> kustomizationDirs() {
    return yamlFiles().stream()
        .filter(p -> p.getFileName().toString().equals(KUSTOMIZATION))
        .map(Path::getParent)
        .toList();
  }

  static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The documents of a YAML file, empty ones left out; each must be a mapping. */
  static List<ObjectNode> documents(Path path) {
    return documents(path.toString(), read(path));
  }

  /** The documents of YAML text read from source, empty ones left out; each must be a mapping. */
  static List<ObjectNode> documents(String source, String yaml) {
    List<ObjectNode> docs = new ArrayList<>();
    try (var values = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
      while (values.hasNextValue()) {
        JsonNode doc = values.nextValue();
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
          continue;
        }
        if (!(doc instanceof ObjectNode object)) {
          throw new AssertionError(source + ": a document is not a mapping: " + doc);
        }
        docs.add(object);
      }
    } catch (IOException e) {
      throw new AssertionError(source + " is not valid YAML: " + e.getMessage(), e);
    }
    return docs;
  }

  /** The only document of a YAML file. */
  static ObjectNode document(Path path) {
    List<ObjectNode> docs = documents(path);
    if (docs.size() != 1) {
      throw new AssertionError(path + ": expected one document, got " + docs.size());
    }
    return docs.get(0);
  }

  static String kind(JsonNode object) {
    return object.path("kind").asText();
  }

  static String name(JsonNode object) {
    return object.path("metadata").path("name").asText();
  }

  static String namespace(JsonNode object) {
    return object.path("metadata").path("namespace").asText("");
  }

  /** kind/namespace/name, for messages and identity. */
  static String id(JsonNode object) {
    String ns = namespace(object);
    return kind(object) + "/" + (ns.isEmpty() ? "" : ns + "/") + name(object);
  }
}
