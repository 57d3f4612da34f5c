package dev.ephemeral.lambda.condition;

import static dev.ephemeral.lambda.customresource.SpecRules.SUCCESS_CONDITION_MAX_LENGTH;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiles spec.successCondition expressions, each text once: the CEL environment (its variables,
 * macros and limits) and a cache of the compiled programs by expression text.
 */
final class ConditionPrograms {

  static final String RESULT = "result";
  static final String STATUS_CODE = "statusCode";
  static final String EXECUTED_VERSION = "executedVersion";

  /**
   * Deeper nesting (parentheses, calls, member chains) does not compile: the parser, checker and
   * interpreter all recurse once per level.
   */
  static final int MAX_PARSE_DEPTH = 32;

  /** Iterations of all comprehensions (all, exists, map, filter) of one evaluation, together. */
  static final int MAX_ITERATIONS = 100_000;

  /** Compiled programs kept; the least recently used goes first. */
  private static final int CACHE_SIZE = 1024;

  /**
   * The standard library and macros, as CRD rules and ValidatingAdmissionPolicy offer them, and
   * numbers compared across types (a JSON number may be read as an int or a double).
   */
  private static final Cel CEL =
      CelFactory.standardCelBuilder()
          .setOptions(
              CelOptions.current()
                  .maxExpressionCodePointSize(SUCCESS_CONDITION_MAX_LENGTH)
                  .maxParseRecursionDepth(MAX_PARSE_DEPTH)
                  .comprehensionMaxIterations(MAX_ITERATIONS)
                  .enableHeterogeneousNumericComparisons(true)
                  .build())
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar(RESULT, SimpleType.DYN)
          .addVar(STATUS_CODE, SimpleType.INT)
          .addVar(EXECUTED_VERSION, SimpleType.STRING)
          .setResultType(SimpleType.BOOL)
          .build();

  /** A compiled expression, or why it does not compile. */
  sealed interface Compiled permits Program, Problem {}

  record Program(CelRuntime.Program program) implements Compiled {}

  /** {@code message} is the compiler's, about the expression only (it has seen no result). */
  record Problem(String message) implements Compiled {}

  private static final Map<String, Compiled> CACHE =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Compiled> eldest) {
          return size() > CACHE_SIZE;
        }
      };

  private ConditionPrograms() {}

  static Compiled compile(String expression) {
    synchronized (CACHE) {
      Compiled cached = CACHE.get(expression);
      if (cached != null) {
        return cached;
      }
    }
    Compiled compiled = compileNow(expression);
    synchronized (CACHE) {
      CACHE.put(expression, compiled);
    }
    return compiled;
  }

  private static Compiled compileNow(String expression) {
    if (expression.length() > SUCCESS_CONDITION_MAX_LENGTH) {
      return new Problem("must be at most " + SUCCESS_CONDITION_MAX_LENGTH + " characters");
    }
    try {
      return new Program(CEL.createProgram(CEL.compile(expression).getAst()));
    } catch (CelValidationException e) {
      return new Problem(oneLine(e.getMessage()));
    } catch (CelEvaluationException e) {
      return new Problem("cannot be planned: " + oneLine(e.getMessage()));
    } catch (RuntimeException e) {
      // The parser's own limits (nesting, size) end in an exception of their own.
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return new Problem(oneLine(message));
    }
  }

  /** The compiler's report (error, source line, caret) as one line, cut short. */
  private static String oneLine(String message) {
    String line = message.replaceAll("\\s*\\n\\s*\\|?\\s*", " | ").trim();
    return line.length() <= 300 ? line : line.substring(0, 300) + "…";
  }
}
