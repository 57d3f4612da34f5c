package dev.ephemeral.lambda.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.ephemeral.lambda.crd.CrdValidator.Failure;
import dev.ephemeral.lambda.crd.CrdValidator.Rule;
import dev.ephemeral.lambda.validation.SpecExamples;
import dev.ephemeral.lambda.validation.SpecExamples.Example;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The CRD enforces the field rules at admission, checked here because the mock API server of the
 * other tests applies no schema: every example of {@code specs/valid-specs.yaml} passes the
 * generated {@code openAPIV3Schema} and all its CEL rules, and every example of {@code
 * specs/invalid-specs.yaml} is rejected, for the reason its table row names. The same tables drive
 * {@code SpecValidatorTest}, so the CRD and the operator cannot disagree on them.
 *
 * <p>Rules the CRD cannot express, refused by the operator only:
 *
 * <ul>
 *   <li>the invalid examples marked {@code operatorOnly}, each saying why; this test checks that
 *       admission does let them in, so a marker cannot outlive its reason;
 *   <li>payload: serialized it is at most 6,291,456 bytes (Kubernetes cannot measure the JSON
 *       serialization of a schemaless value; such an object would not fit in etcd anyway), covered
 *       by SpecValidatorTest;
 *   <li>payload: a YAML string is sent as a JSON string (serialization, not validation).
 * </ul>
 */
class CrdSchemaValidationTest {

  private static CrdValidator crd;

  @BeforeAll
  static void loadCrd() {
    crd = new CrdValidator(CrdFiles.openApiV3Schema(CrdFiles.generated()));
  }

  @TestFactory
  Stream<DynamicTest> validExamplesAreAdmitted() {
    return SpecExamples.valid().stream()
        .map(
            example ->
                dynamicTest(
                    example.name(),
                    () -> {
                      List<Failure> failures = crd.validate(example.object(), new HashSet<>());
                      assertThat(failures).as(example.name() + " must be admitted").isEmpty();
                    }));
  }

  @TestFactory
  Stream<DynamicTest> invalidExamplesAreRejectedForTheirField() {
    return SpecExamples.invalid().stream()
        .filter(example -> example.operatorOnly() == null)
        .map(
            example ->
                dynamicTest(
                    example.name(),
                    () -> {
                      List<Failure> failures = crd.validate(example.object(), new HashSet<>());
                      assertThat(failures).as(example.name() + " must be rejected").isNotEmpty();
                      assertThat(failures)
                          .as(
                              "%s: every rejection must be about %s",
                              example.name(), example.field())
                          .allSatisfy(
                              f -> assertThat(f.names(example.field())).as(f.toString()).isTrue());
                    }));
  }

  /**
   * What the examples marked operatorOnly break is beyond the CRD: admission lets each in (and the
   * operator refuses it, see SpecValidatorTest).
   */
  @TestFactory
  Stream<DynamicTest> operatorOnlyExamplesAreAdmitted() {
    List<Example> operatorOnly =
        SpecExamples.invalid().stream().filter(e -> e.operatorOnly() != null).toList();
    assertThat(operatorOnly).isNotEmpty();
    return operatorOnly.stream()
        .map(
            example ->
                dynamicTest(
                    example.name(),
                    () ->
                        assertThat(crd.validate(example.object(), new HashSet<>()))
                            .as(
                                "%s is marked operatorOnly (%s), so admission must let it in",
                                example.name(), example.operatorOnly())
                            .isEmpty()));
  }

  /**
   * Every rule answers true or false, never an evaluation error: a duration too large for CEL's
   * {@code duration()} (Go's 64-bit nanoseconds) is refused by the rule's own check of its digits
   * first, so the user reads the rule's message.
   */
  @Test
  void noRuleFailsWithAnEvaluationError() {
    List<String> errors = new ArrayList<>();
    for (Example example : SpecExamples.invalid()) {
      crd.validate(example.object(), new HashSet<>()).stream()
          .filter(f -> f.message().contains(CrdValidator.EVALUATION_ERROR))
          .forEach(f -> errors.add(example.name() + ": " + f));
    }
    assertThat(errors).isEmpty();
  }

  /** Every CEL rule is false for some invalid example and true for some valid one. */
  @Test
  void everyCelRuleIsExercisedBothWays() {
    Set<String> falsified = new TreeSet<>();
    for (Example example : SpecExamples.invalid()) {
      crd.validate(example.object(), new HashSet<>()).stream()
          .filter(f -> f.kind().equals("x-kubernetes-validations"))
          .forEach(f -> falsified.add(f.schemaLocation()));
    }
    Set<String> held = new TreeSet<>();
    for (Example example : SpecExamples.valid()) {
      crd.validate(example.object(), held);
    }
    List<String> neverFalse = new ArrayList<>();
    List<String> neverTrue = new ArrayList<>();
    for (Rule rule : crd.rules()) {
      if (!falsified.contains(rule.schemaLocation())) {
        neverFalse.add(rule.path() + ": " + rule.rule());
      }
      if (!held.contains(rule.schemaLocation())) {
        neverTrue.add(rule.path() + ": " + rule.rule());
      }
    }
    assertThat(crd.rules()).isNotEmpty();
    assertThat(neverFalse)
        .as("rules no invalid example breaks (add one to specs/invalid-specs.yaml)")
        .isEmpty();
    assertThat(neverTrue)
        .as("rules no valid example reaches (add one to specs/valid-specs.yaml)")
        .isEmpty();
  }

  /** Every pattern, enum and required list of the schema rejects some invalid example. */
  @Test
  void everyPatternEnumAndRequiredIsExercised() {
    Set<String> fired = new TreeSet<>();
    for (Example example : SpecExamples.invalid()) {
      crd.validate(example.object(), new HashSet<>()).forEach(f -> fired.add(f.schemaLocation()));
    }
    List<String> constraints = new ArrayList<>();
    for (String keyword : List.of("pattern", "enum", "required")) {
      constraints.addAll(crd.constraints(keyword));
    }
    constraints.removeIf(c -> c.startsWith("/properties/status/"));
    assertThat(constraints).isNotEmpty();
    assertThat(constraints)
        .as("schema constraints no invalid example breaks (add one to specs/invalid-specs.yaml)")
        .allSatisfy(c -> assertThat(fired).contains(c));
  }

  /** The LambdaInvocations users copy from examples/ would be admitted. */
  @TestFactory
  Stream<DynamicTest> shippedExamplesAreAdmitted() throws IOException {
    Path examples = Path.of("examples");
    List<DynamicTest> tests = new ArrayList<>();
    if (!Files.isDirectory(examples)) {
      return Stream.empty();
    }
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    List<Path> files;
    try (Stream<Path> walk = Files.walk(examples)) {
      files =
          walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
    }
    for (Path file : files) {
      List<JsonNode> documents = new ArrayList<>();
      try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
        yaml.readValues(parser, JsonNode.class).forEachRemaining(documents::add);
      }
      for (int i = 0; i < documents.size(); i++) {
        JsonNode document = documents.get(i);
        if (document == null
            || !"LambdaInvocation".equals(document.path("kind").asText())
            || !document.path("apiVersion").asText().startsWith("lambda.ephemeral.dev/")) {
          continue;
        }
        String name = file + " #" + (i + 1) + " " + document.at("/metadata/name").asText();
        tests.add(
            dynamicTest(
                name,
                () ->
                    assertThat(crd.validate(document, new HashSet<>()))
                        .as(name + " must be admitted")
                        .isEmpty()));
      }
    }
    return tests.stream();
  }
}
