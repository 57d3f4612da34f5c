package dev.ephemeral.lambda;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

/**
 * The rules the packages keep: the resource model at the bottom, the operator above it, the
 * sandbox and the Lambda emulator on top, and nothing pointing back. {@link PackageDependenciesTest}
 * checks the project's classes against them, and that a cycle is caught.
 */
final class PackageDependencies {

  static final String OPERATOR = "dev.ephemeral.lambda";
  static final String SANDBOX = OPERATOR + ".sandbox..";
  static final String EMULATOR = OPERATOR + ".emulator..";

  private PackageDependencies() {}

  /**
   * No cycle between the packages directly under {@code root} (each with its subpackages), nor
   * between any of them and {@code root} itself, which assembles them and so is at the top.
   */
  static ArchRule freeOfCycles(String root) {
    return slices()
        .assignedFrom(new TopLevelPackages(root))
        .namingSlices("$1")
        .should()
        .beFreeOfCycles()
        .because(
            "packages must point one way (the resource model at the bottom, the operator above"
                + " it, the sandbox on top); to break a cycle, move the type both packages need"
                + " into the lower package, or into a lower one of its own");
  }

  /**
   * The root package assembles the operator; only the sandbox, which runs the operator, sits above
   * it.
   */
  static ArchRule rootIsTheTop() {
    return noClasses()
        .that()
        .resideInAPackage(OPERATOR + ".*..")
        .and()
        .resideOutsideOfPackage(SANDBOX)
        .should()
        .dependOnClassesThat()
        .resideInAPackage(OPERATOR)
        .because(
            "the package " + OPERATOR + " assembles the operator from the packages below it");
  }

  /**
   * The operator's jar leaves out the sandbox, the Lambda emulator and the mock API server (the
   * operator-jar execution in pom.xml): the operator's code must not need them.
   */
  static ArchRule operatorNeedsNoSandbox() {
    return noClasses()
        .that()
        .resideInAPackage(OPERATOR + "..")
        .and()
        .resideOutsideOfPackages(SANDBOX, EMULATOR)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            SANDBOX,
            EMULATOR,
            "io.fabric8.kubernetes.client.server.mock..",
            "io.fabric8.mockwebserver..",
            "okhttp3.mockwebserver..")
        .because(
            "the operator's jar leaves out the sandbox, the Lambda emulator and the mock API"
                + " server; move what the operator needs out of them");
  }

  /** The emulator stands in for AWS Lambda: it knows nothing of the operator. */
  static ArchRule emulatorStandsAlone() {
    return noClasses()
        .that()
        .resideInAPackage(EMULATOR)
        .should()
        .dependOnClassesThat(
            resideInAPackage(OPERATOR + "..").and(resideOutsideOfPackage(EMULATOR)))
        .because("the emulator stands in for AWS Lambda, which knows nothing of the operator");
  }

  /** One slice per package directly under the root (with its subpackages), and the root itself. */
  private record TopLevelPackages(String root) implements SliceAssignment {

    @Override
    public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
      String name = javaClass.getPackageName();
      if (name.equals(root)) {
        return SliceIdentifier.of(root);
      }
      if (!name.startsWith(root + ".")) {
        return SliceIdentifier.ignore();
      }
      String below = name.substring(root.length() + 1);
      int dot = below.indexOf('.');
      return SliceIdentifier.of(root + "." + (dot < 0 ? below : below.substring(0, dot)));
    }

    @Override
    public String getDescription() {
      return "the packages directly under " + root + ", and " + root + " itself";
    }
  }
}
