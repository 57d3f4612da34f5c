import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.CustomResource;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the CRDs of the given custom resource classes, as crd-generator-maven-plugin would, with
 * the printer columns in the order their {@code @AdditionalPrinterColumn} annotations are written.
 *
 * <p>fabric8's generator sorts the columns by JSON path (so AGE came second and REASON before
 * READY); its post-processor hook puts them back, but the Maven plugin does not expose it. The
 * build runs this file with the Java source launcher in process-classes:
 *
 * <pre>java -cp COMPILE_CLASSPATH src/build/GenerateCrds.java OUTPUT_DIR CLASS...</pre>
 */
public class GenerateCrds {

  public static void main(String[] args) throws ClassNotFoundException, IOException {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: GenerateCrds OUTPUT_DIR CUSTOM_RESOURCE_CLASS...");
    }
    Map<String, Class<?>> byKind = new HashMap<>();
    List<Class<? extends HasMetadata>> classes = new ArrayList<>();
    for (String name : Arrays.asList(args).subList(1, args.length)) {
      Class<? extends HasMetadata> type = Class.forName(name).asSubclass(HasMetadata.class);
      classes.add(type);
      byKind.put(HasMetadata.getKind(type), type);
    }
    File output = Files.createDirectories(Path.of(args[0])).toFile();
    int written =
        new CRDGenerator()
            .withParallelGenerationEnabled(false)
            .withImplicitPreserveUnknownFields(false)
            .withMinQuotes(false)
            .withPostProcessor(new ColumnsAsWritten(byKind))
            .inOutputDir(output)
            .customResourceClasses(classes)
            .generate();
    if (written != classes.size()) {
      throw new IllegalStateException("wrote " + written + " CRDs for " + classes.size() + " classes");
    }
  }

  /** Sorts each version's printer columns as the annotations on the class list them. */
  record ColumnsAsWritten(Map<String, Class<?>> byKind) implements CRDPostProcessor {
    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
      CustomResourceDefinition definition = (CustomResourceDefinition) crd;
      List<String> written =
          Arrays.stream(
                  byKind
                      .get(definition.getSpec().getNames().getKind())
                      .getAnnotationsByType(AdditionalPrinterColumn.class))
              .map(AdditionalPrinterColumn::name)
              .toList();
      definition
          .getSpec()
          .getVersions()
          .forEach(
              v ->
                  v.getAdditionalPrinterColumns()
                      .sort(
                          Comparator.comparingInt(
                              (CustomResourceColumnDefinition c) -> written.indexOf(c.getName()))));
      return crd;
    }
  }
}
