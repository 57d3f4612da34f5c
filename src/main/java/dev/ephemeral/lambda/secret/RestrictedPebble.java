package dev.ephemeral.lambda.secret;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.attributes.AttributeResolver;
import io.pebbletemplates.pebble.attributes.ResolvedAttribute;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.Extension;
import io.pebbletemplates.pebble.extension.ExtensionCustomizer;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.extension.NodeVisitorFactory;
import io.pebbletemplates.pebble.extension.Test;
import io.pebbletemplates.pebble.loader.MemoryLoader;
import io.pebbletemplates.pebble.node.ArgumentsNode;
import io.pebbletemplates.pebble.operator.Associativity;
import io.pebbletemplates.pebble.operator.BinaryOperator;
import io.pebbletemplates.pebble.operator.BinaryOperatorImpl;
import io.pebbletemplates.pebble.operator.BinaryOperatorType;
import io.pebbletemplates.pebble.operator.UnaryOperator;
import io.pebbletemplates.pebble.template.EvaluationContextImpl;
import io.pebbletemplates.pebble.template.PebbleTemplateImpl;
import io.pebbletemplates.pebble.tokenParser.TokenParser;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Pebble engine for templates that tenants write, reduced to what a Secret value needs: text,
 * output ({@code {{ }}}), {@code if}, attribute and index access into the parsed JSON result,
 * literals, comparisons, tests, {@code ~} and an allowlist of filters.
 *
 * <p>Nothing in it reaches Java: no attribute resolver but one over JSON objects and arrays, no
 * method calls (and a method-access validator that refuses every method all the same), no
 * functions, no loader (no include, import, extends or embed), no macros, loops or variables, so
 * evaluation takes time linear in the template and the result. Every value it builds is bounded
 * by {@link #MAX_VALUE_LENGTH} before it is built, so a template cannot make the operator run out
 * of memory. A template that uses anything else is refused when it is compiled.
 */
final class RestrictedPebble {

  private RestrictedPebble() {}

  /** The longest value a template may build or write, in characters: the size of a Secret. */
  static final int MAX_VALUE_LENGTH = SecretLayout.MAX_SECRET_BYTES;

  /** The one variable of a template: the parsed result. */
  static final String VARIABLE = "result";

  private static final Set<String> TAGS = Set.of("if");

  /** Pebble's filters whose output is at most a small multiple of their input. */
  private static final Set<String> CORE_FILTERS =
      Set.of(
          "abbreviate",
          "abs",
          "base64decode",
          "base64encode",
          "capitalize",
          "default",
          "first",
          "last",
          "length",
          "lower",
          "reverse",
          "rsort",
          "sha256",
          "slice",
          "sort",
          "title",
          "trim",
          "upper",
          "urlencode");

  /** The filters this engine adds (join replaces Pebble's with a bounded one). */
  private static final Set<String> OWN_FILTERS = Set.of("join", "json");

  /** Every filter a template may use. */
  static final Set<String> FILTERS = union(CORE_FILTERS, OWN_FILTERS);

  static final Set<String> TESTS =
      Set.of("defined", "null", "empty", "map", "iterable", "even", "odd");

  /** Pebble's binary operators that are kept; {@code ~} is replaced by a bounded one. */
  private static final Set<String> BINARY_OPERATORS =
      Set.of(
          "or", "and", "is", "is not", "contains", "==", "equals", "!=", ">", "<", ">=", "<=", "|");

  private static final Set<String> UNARY_OPERATORS = Set.of("not", "-", "+");

  static final PebbleEngine ENGINE =
      new PebbleEngine.Builder()
          .loader(new MemoryLoader())
          .autoEscaping(false)
          .strictVariables(true)
          .cacheActive(false)
          .defaultLocale(Locale.ROOT)
          .maxRenderedSize(MAX_VALUE_LENGTH)
          .methodAccessValidator((object, method) -> false)
          .registerExtensionCustomizer(Reduced::new)
          .extension(new SecretValues())
          .build();

  /** A value that would be longer than {@link #MAX_VALUE_LENGTH}. */
  static final class ValueTooLarge extends PebbleException {
    ValueTooLarge(int lineNumber) {
      super(
          null, "a value would be longer than " + MAX_VALUE_LENGTH + " characters", lineNumber, "");
    }
  }

  /** Pebble's own extensions, reduced to the allowlists above. */
  private static final class Reduced extends ExtensionCustomizer {

    Reduced(Extension delegate) {
      super(delegate);
    }

    @Override
    public List<TokenParser> getTokenParsers() {
      return keep(super.getTokenParsers(), parser -> TAGS.contains(parser.getTag()));
    }

    @Override
    public Map<String, Filter> getFilters() {
      var filters = new TreeMap<String, Filter>();
      if (super.getFilters() != null) {
        super.getFilters().entrySet().stream()
            .filter(entry -> CORE_FILTERS.contains(entry.getKey()))
            .forEach(
                entry ->
                    filters.put(
                        entry.getKey(),
                        // default must stay itself: Pebble lets it see a missing attribute.
                        entry.getKey().equals("default")
                            ? entry.getValue()
                            : new BoundedFilter(entry.getValue())));
      }
      return filters;
    }

    @Override
    public Map<String, Test> getTests() {
      var tests = new TreeMap<String, Test>();
      if (super.getTests() != null) {
        super.getTests()
            .forEach(
                (name, test) -> {
                  if (TESTS.contains(name)) {
                    tests.put(name, test);
                  }
                });
      }
      return tests;
    }

    @Override
    public Map<String, Function> getFunctions() {
      return Map.of();
    }

    @Override
    public List<BinaryOperator> getBinaryOperators() {
      return keep(super.getBinaryOperators(), op -> BINARY_OPERATORS.contains(op.getSymbol()));
    }

    @Override
    public List<UnaryOperator> getUnaryOperators() {
      return keep(super.getUnaryOperators(), op -> UNARY_OPERATORS.contains(op.getSymbol()));
    }

    @Override
    public Map<String, Object> getGlobalVariables() {
      return Map.of();
    }

    @Override
    public List<AttributeResolver> getAttributeResolver() {
      return List.of();
    }

    private static <T> List<T> keep(List<T> items, java.util.function.Predicate<T> allowed) {
      return items == null ? List.of() : items.stream().filter(allowed).toList();
    }
  }

  /** What this engine adds: JSON attribute access, bounded {@code ~} and join, json. */
  private static final class SecretValues extends AbstractExtension {

    @Override
    public Map<String, Filter> getFilters() {
      return Map.of("join", new BoundedJoin(), "json", new JsonFilter());
    }

    @Override
    public List<BinaryOperator> getBinaryOperators() {
      return List.of(
          new BinaryOperatorImpl(
              "~", 110, BoundedConcatenation::new, BinaryOperatorType.NORMAL, Associativity.LEFT));
    }

    @Override
    public List<AttributeResolver> getAttributeResolver() {
      return List.of(new JsonAttributes());
    }

    @Override
    public List<NodeVisitorFactory> getNodeVisitors() {
      return List.of(template -> new AllowedSyntax((PebbleTemplateImpl) template));
    }
  }

  /** Attribute access into JSON objects (by name) and arrays (by index), and nothing else. */
  private static final class JsonAttributes implements AttributeResolver {
    @Override
    public ResolvedAttribute resolve(
        Object instance,
        Object attributeNameValue,
        Object[] argumentValues,
        ArgumentsNode args,
        EvaluationContextImpl context,
        String filename,
        int lineNumber) {
      if (argumentValues != null) {
        return null;
      }
      if (instance instanceof Map<?, ?> map) {
        String name = String.valueOf(attributeNameValue);
        return map.containsKey(name) ? new ResolvedAttribute(map.get(name)) : null;
      }
      if (instance instanceof List<?> list) {
        int index = index(attributeNameValue);
        return index >= 0 && index < list.size() ? new ResolvedAttribute(list.get(index)) : null;
      }
      return null;
    }

    private static int index(Object value) {
      if (value instanceof Number number) {
        return number.longValue() > Integer.MAX_VALUE ? -1 : number.intValue();
      }
      String text = String.valueOf(value);
      return text.matches("[0-9]{1,9}") ? Integer.parseInt(text) : -1;
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    var all = new java.util.HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }
}
