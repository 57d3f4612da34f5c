package dev.ephemeral.lambda;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The rules the packages keep: the resource model at the bottom, the operator above it, the
 * sandbox and the Lambda emulator on top, and nothing pointing back. {@link
 * PackageDependenciesTest} checks the project's classes and sources against them, and that a
 * cycle is caught.
 */
final class PackageDependencies {

  static final String OPERATOR = "dev.ephemeral.lambda";
  static final String SANDBOX = OPERATOR + ".sandbox..";
  static final String EMULATOR = OPERATOR + ".emulator..";

  /** What to do about a cycle, in every report of one. */
  static final String FIX =
      "packages must point one way (the resource model at the bottom, the operator above it, the"
          + " sandbox on top); to break a cycle, move the type both packages need into the lower"
          + " package, or into a lower one of its own";

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
        .because(FIX);
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

  /**
   * The cycles among the same packages as {@link #freeOfCycles}, as the sources under {@code
   * sources} name each other's classes, one line each with the files behind every step. javac
   * copies a constant (an annotation's {@code @Pattern} value, say) into the class that uses it, so
   * the bytecode, and with it {@link #freeOfCycles}, does not see that dependency; the source does.
   */
  static List<String> sourceCycles(Path sources, String root) {
    var packages = new TopLevelPackages(root);
    // package -> package it names -> the files that name it
    Map<String, Map<String, TreeSet<String>>> edges = new TreeMap<>();
    Pattern reference = Pattern.compile(Pattern.quote(root) + "((?:\\.[a-z_]\\w*)*)\\.[A-Z]");
    try (Stream<Path> files = Files.walk(sources.resolve(root.replace('.', '/')))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String text = withoutComments(Files.readString(file));
        Matcher declared = Pattern.compile("(?m)^package ([\\w.]+);").matcher(text);
        if (!declared.find()) {
          continue;
        }
        String from = packages.of(declared.group(1));
        Matcher named = reference.matcher(text);
        while (named.find()) {
          String to = packages.of(root + named.group(1));
          if (!to.equals(from)) {
            edges
                .computeIfAbsent(from, k -> new TreeMap<>())
                .computeIfAbsent(to, k -> new TreeSet<>())
                .add(sources.relativize(file).toString());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    var cycles = new ArrayList<String>();
    var reported = new TreeSet<String>();
    for (String start : edges.keySet()) {
      List<String> cycle = shortestCycle(start, edges);
      if (!cycle.isEmpty() && reported.add(String.join(",", new TreeSet<>(cycle)))) {
        var line = new StringBuilder(String.join(" -> ", cycle));
        for (int i = 0; i + 1 < cycle.size(); i++) {
          line.append("; ")
              .append(cycle.get(i))
              .append(" -> ")
              .append(cycle.get(i + 1))
              .append(" in ")
              .append(edges.get(cycle.get(i)).get(cycle.get(i + 1)));
        }
        cycles.add(line.toString());
      }
    }
    return cycles;
  }

  /** The shortest path from {@code start} back to it, both ends included; empty when none. */
  private static List<String> shortestCycle(
      String start, Map<String, Map<String, TreeSet<String>>> edges) {
    Map<String, String> cameFrom = new HashMap<>();
    Deque<String> queue = new ArrayDeque<>(List.of(start));
    while (!queue.isEmpty()) {
      String at = queue.removeFirst();
      for (String next : edges.getOrDefault(at, Map.of()).keySet()) {
        if (next.equals(start)) {
          var path = new ArrayList<String>(List.of(start));
          for (String step = at; !step.equals(start); step = cameFrom.get(step)) {
            path.add(1, step);
          }
          path.add(start);
          return path;
        }
        if (cameFrom.putIfAbsent(next, at) == null) {
          queue.addLast(next);
        }
      }
    }
    return List.of();
  }

  /** The text without its comments, whose {@code @link}s are no dependency. */
  private static String withoutComments(String java) {
    return java.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
  }

  /** One slice per package directly under the root (with its subpackages), and the root itself. */
  private record TopLevelPackages(String root) implements SliceAssignment {

    @Override
    public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
      String name = javaClass.getPackageName();
      return name.equals(root) || name.startsWith(root + ".")
          ? SliceIdentifier.of(of(name))
          : SliceIdentifier.ignore();
    }

    /** The slice of {@code name}, a package that is {@code root} or lies under it. */
    String of(String name) {
      if (name.equals(root)) {
        return root;
      }
      String below = name.substring(root.length() + 1);
      int dot = below.indexOf('.');
      return root + "." + (dot < 0 ? below : below.substring(0, dot));
    }

    @Override
    public String getDescription() {
      return "the packages directly under " + root + ", and " + root + " itself";
    }
  }
}
