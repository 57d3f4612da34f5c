package dev.ephemeral.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PackageDependenciesTest {

  private static final String FIXTURE = "dev.ephemeral.lambda.archfixture";

  private static JavaClasses operatorClasses;

  /** The compiled classes of src/main/java: importing them by package would scan every jar. */
  @BeforeAll
  static void importClasses() throws URISyntaxException {
    operatorClasses = new ClassFileImporter().importPath(classesOf(OperatorMain.class));
  }

  private static Path classesOf(Class<?> type) throws URISyntaxException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  @Test
  void packagesHaveNoCycles() {
    PackageDependencies.freeOfCycles(PackageDependencies.OPERATOR).check(operatorClasses);
  }

  @Test
  void packagesHaveNoCyclesThroughConstants() {
    var cycles =
        PackageDependencies.sourceCycles(Path.of("src/main/java"), PackageDependencies.OPERATOR);

    assertThat(cycles).as(PackageDependencies.FIX).isEmpty();
  }

  @Test
  void onlyTheSandboxDependsOnTheRootPackage() {
    PackageDependencies.rootIsTheTop().check(operatorClasses);
  }

  @Test
  void operatorDoesNotDependOnTheSandboxTheEmulatorOrTheMockServer() {
    PackageDependencies.operatorNeedsNoSandbox().check(operatorClasses);
  }

  @Test
  void emulatorDoesNotDependOnTheOperator() {
    PackageDependencies.emulatorStandsAlone().check(operatorClasses);
  }

  @Test
  void aCycleIsReportedWithItsPackagesAndTheFix() throws URISyntaxException {
    JavaClasses fixture =
        new ClassFileImporter()
            .importPath(classesOf(PackageDependenciesTest.class).resolve(FIXTURE.replace('.', '/')));
    assertThat(fixture).hasSizeGreaterThanOrEqualTo(2);

    assertThatThrownBy(() -> PackageDependencies.freeOfCycles(FIXTURE).check(fixture))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Cycle detected")
        .hasMessageContaining(FIXTURE + ".a -> ")
        .hasMessageContaining(FIXTURE + ".b -> ")
        .hasMessageContaining("move the type both packages need into the lower package");
  }

  @Test
  void aCycleInTheSourcesIsReportedWithItsPackagesAndFiles() {
    String a = FIXTURE + ".a";
    String b = FIXTURE + ".b";

    assertThat(PackageDependencies.sourceCycles(Path.of("src/test/java"), FIXTURE))
        .containsExactly(
            a + " -> " + b + " -> " + a
                + "; " + a + " -> " + b + " in [dev/ephemeral/lambda/archfixture/a/Order.java]"
                + "; " + b + " -> " + a + " in [dev/ephemeral/lambda/archfixture/b/Invoice.java]");
  }
}
