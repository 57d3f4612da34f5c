package dev.ephemeral.lambda.secret;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.attributes.AttributeResolver;
import io.pebbletemplates.pebble.attributes.ResolvedAttribute;
import io.pebbletemplates.pebble.error.ParserException;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.AbstractNodeVisitor;
import io.pebbletemplates.pebble.extension.Extension;
import io.pebbletemplates.pebble.extension.ExtensionCustomizer;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.extension.NodeVisitorFactory;
import io.pebbletemplates.pebble.extension.Test;
import io.pebbletemplates.pebble.loader.MemoryLoader;
import io.pebbletemplates.pebble.node.ArgumentsNode;
import io.pebbletemplates.pebble.node.BodyNode;
import io.pebbletemplates.pebble.node.IfNode;
import io.pebbletemplates.pebble.node.NamedArgumentNode;
import io.pebbletemplates.pebble.node.Node;
import io.pebbletemplates.pebble.node.PositionalArgumentNode;
import io.pebbletemplates.pebble.node.PrintNode;
import io.pebbletemplates.pebble.node.RootNode;
import io.pebbletemplates.pebble.node.TestInvocationExpression;
import io.pebbletemplates.pebble.node.TextNode;
import io.pebbletemplates.pebble.node.expression.AndExpression;
import io.pebbletemplates.pebble.node.expression.BinaryExpression;
import io.pebbletemplates.pebble.node.expression.ContainsExpression;
import io.pebbletemplates.pebble.node.expression.ContextVariableExpression;
import io.pebbletemplates.pebble.node.expression.EqualsExpression;
import io.pebbletemplates.pebble.node.expression.FilterExpression;
import io.pebbletemplates.pebble.node.expression.FilterInvocationExpression;
import io.pebbletemplates.pebble.node.expression.GetAttributeExpression;
import io.pebbletemplates.pebble.node.expression.GreaterThanEqualsExpression;
import io.pebbletemplates.pebble.node.expression.GreaterThanExpression;
import io.pebbletemplates.pebble.node.expression.LessThanEqualsExpression;
import io.pebbletemplates.pebble.node.expression.LessThanExpression;
import io.pebbletemplates.pebble.node.expression.LiteralBigDecimalExpression;
import io.pebbletemplates.pebble.node.expression.LiteralBooleanExpression;
import io.pebbletemplates.pebble.node.expression.LiteralDoubleExpression;
import io.pebbletemplates.pebble.node.expression.LiteralIntegerExpression;
import io.pebbletemplates.pebble.node.expression.LiteralLongExpression;
import io.pebbletemplates.pebble.node.expression.LiteralNullExpression;
import io.pebbletemplates.pebble.node.expression.LiteralStringExpression;
import io.pebbletemplates.pebble.node.expression.NegativeTestExpression;
import io.pebbletemplates.pebble.node.expression.NotEqualsExpression;
import io.pebbletemplates.pebble.node.expression.OrExpression;
import io.pebbletemplates.pebble.node.expression.PositiveTestExpression;
import io.pebbletemplates.pebble.node.expression.TernaryExpression;
import io.pebbletemplates.pebble.node.expression.UnaryExpression;
import io.pebbletemplates.pebble.node.expression.UnaryMinusExpression;
import io.pebbletemplates.pebble.node.expression.UnaryNotExpression;
import io.pebbletemplates.pebble.node.expression.UnaryPlusExpression;
import io.pebbletemplates.pebble.operator.Associativity;
import io.pebbletemplates.pebble.operator.BinaryOperator;
import io.pebbletemplates.pebble.operator.BinaryOperatorImpl;
import io.pebbletemplates.pebble.operator.BinaryOperatorType;
import io.pebbletemplates.pebble.operator.UnaryOperator;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.EvaluationContextImpl;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import io.pebbletemplates.pebble.template.PebbleTemplateImpl;
import io.pebbletemplates.pebble.tokenParser.TokenParser;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
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

  private static final Set<String> TESTS =
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

  /** A filter whose output is checked against {@link #MAX_VALUE_LENGTH}. */
  private record BoundedFilter(Filter filter) implements Filter {
    @Override
    public List<String> getArgumentNames() {
      return filter.getArgumentNames();
    }

    @Override
    public Object apply(
        Object input,
        Map<String, Object> args,
        PebbleTemplate self,
        EvaluationContext context,
        int lineNumber) {
      Object output = filter.apply(input, args, self, context, lineNumber);
      if (output instanceof CharSequence text && text.length() > MAX_VALUE_LENGTH) {
        throw new ValueTooLarge(lineNumber);
      }
      return output;
    }
  }

  /** {@code a ~ b}, refused before it is built when it would be too long. */
  public static final class BoundedConcatenation extends BinaryExpression<Object> {
    @Override
    public Object evaluate(PebbleTemplateImpl self, EvaluationContextImpl context) {
      String left = text(getLeftExpression().evaluate(self, context), getLineNumber());
      String right = text(getRightExpression().evaluate(self, context), getLineNumber());
      if ((long) left.length() + right.length() > MAX_VALUE_LENGTH) {
        throw new ValueTooLarge(getLineNumber());
      }
      return left + right;
    }
  }

  /** {@code list | join(separator)}, refused before it is built when it would be too long. */
  private static final class BoundedJoin implements Filter {
    @Override
    public List<String> getArgumentNames() {
      return List.of("separator");
    }

    @Override
    public Object apply(
        Object input,
        Map<String, Object> args,
        PebbleTemplate self,
        EvaluationContext context,
        int lineNumber) {
      if (input == null) {
        return null;
      }
      List<Object> items = items(input, lineNumber);
      String separator = args.get("separator") == null ? "" : args.get("separator").toString();
      var texts = new ArrayList<String>(items.size());
      long length = 0;
      for (Object item : items) {
        String text = text(item, lineNumber);
        length += text.length() + (texts.isEmpty() ? 0 : separator.length());
        if (length > MAX_VALUE_LENGTH) {
          throw new ValueTooLarge(lineNumber);
        }
        texts.add(text);
      }
      return String.join(separator, texts);
    }

    private static List<Object> items(Object input, int lineNumber) {
      if (input instanceof Collection<?> collection) {
        return new ArrayList<>(collection);
      }
      if (input.getClass().isArray()) {
        var items = new ArrayList<Object>();
        for (int i = 0; i < Array.getLength(input); i++) {
          items.add(Array.get(input, i));
        }
        return items;
      }
      throw new PebbleException(null, "join needs a list", lineNumber, "");
    }
  }

  /** {@code value | json}: the value as JSON text. */
  private static final class JsonFilter implements Filter {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public List<String> getArgumentNames() {
      return List.of();
    }

    @Override
    public Object apply(
        Object input,
        Map<String, Object> args,
        PebbleTemplate self,
        EvaluationContext context,
        int lineNumber) {
      String json;
      try {
        json = MAPPER.writeValueAsString(input);
      } catch (JsonProcessingException e) {
        throw new PebbleException(null, "json cannot write this value", lineNumber, "");
      }
      if (json.length() > MAX_VALUE_LENGTH) {
        throw new ValueTooLarge(lineNumber);
      }
      return json;
    }
  }

  /** Text of a value for {@code ~} and join: null is empty, as Pebble prints it. */
  private static String text(Object value, int lineNumber) {
    if (value == null) {
      return "";
    }
    String text = value.toString();
    if (text.length() > MAX_VALUE_LENGTH) {
      throw new ValueTooLarge(lineNumber);
    }
    return text;
  }

  /**
   * Refuses, when a template is compiled, every node the allowlists above do not name: what the
   * parser accepts but the engine must not run (function and method calls, list and map literals,
   * filters and tests outside the allowlists).
   */
  private static final class AllowedSyntax extends AbstractNodeVisitor {

    AllowedSyntax(PebbleTemplateImpl template) {
      super(template);
    }

    @Override
    public void visit(RootNode node) {
      check(node.getBody());
    }

    private void check(Node node) {
      if (node == null || node instanceof TextNode) {
        return;
      }
      if (node instanceof BodyNode body) {
        body.getChildren().forEach(this::check);
      } else if (node instanceof PrintNode print) {
        check(print.getExpression());
      } else if (node instanceof IfNode conditional) {
        conditional
            .getConditionsWithBodies()
            .forEach(
                pair -> {
                  check(pair.getLeft());
                  check(pair.getRight());
                });
        check(conditional.getElseBody());
      } else if (node instanceof ArgumentsNode arguments) {
        if (arguments.getPositionalArgs() != null) {
          arguments.getPositionalArgs().stream()
              .map(PositionalArgumentNode::getValueExpression)
              .forEach(this::check);
        }
        if (arguments.getNamedArgs() != null) {
          arguments.getNamedArgs().stream()
              .map(NamedArgumentNode::getValueExpression)
              .forEach(this::check);
        }
      } else if (node instanceof ContextVariableExpression variable) {
        if (!VARIABLE.equals(variable.getName())) {
          throw refused(
              "the variable " + variable.getName() + " (the only variable is " + VARIABLE + ")",
              variable.getLineNumber());
        }
      } else if (isLiteral(node)) {
        return;
      } else if (node instanceof GetAttributeExpression attribute) {
        if (attribute.getArgumentsNode() != null) {
          throw refused("method calls", attribute.getLineNumber());
        }
        check(attribute.getNode());
        check(attribute.getAttributeNameExpression());
      } else if (node instanceof FilterExpression filter) {
        check(filter.getLeftExpression());
        var invocation = (FilterInvocationExpression) filter.getRightExpression();
        if (!FILTERS.contains(invocation.getFilterName())) {
          throw refused(
              "the filter " + invocation.getFilterName() + " (allowed: " + sorted(FILTERS) + ")",
              invocation.getLineNumber());
        }
        check(invocation.getArgs());
      } else if (node instanceof PositiveTestExpression || node instanceof NegativeTestExpression) {
        var test = (BinaryExpression<?>) node;
        check(test.getLeftExpression());
        var invocation = (TestInvocationExpression) test.getRightExpression();
        if (!TESTS.contains(invocation.getTestName())) {
          throw refused(
              "the test " + invocation.getTestName() + " (allowed: " + sorted(TESTS) + ")",
              invocation.getLineNumber());
        }
        check(invocation.getArgs());
      } else if (isAllowedBinary(node)) {
        check(((BinaryExpression<?>) node).getLeftExpression());
        check(((BinaryExpression<?>) node).getRightExpression());
      } else if (node instanceof UnaryNotExpression
          || node instanceof UnaryMinusExpression
          || node instanceof UnaryPlusExpression) {
        check(((UnaryExpression) node).getChildExpression());
      } else if (node instanceof TernaryExpression ternary) {
        check(ternary.getExpression1());
        check(ternary.getExpression2());
        check(ternary.getExpression3());
      } else {
        throw refused(describe(node), 0);
      }
    }

    private static boolean isLiteral(Node node) {
      return node instanceof LiteralStringExpression
          || node instanceof LiteralIntegerExpression
          || node instanceof LiteralLongExpression
          || node instanceof LiteralDoubleExpression
          || node instanceof LiteralBigDecimalExpression
          || node instanceof LiteralBooleanExpression
          || node instanceof LiteralNullExpression;
    }

    private static boolean isAllowedBinary(Node node) {
      return node instanceof BoundedConcatenation
          || node instanceof AndExpression
          || node instanceof OrExpression
          || node instanceof EqualsExpression
          || node instanceof NotEqualsExpression
          || node instanceof GreaterThanExpression
          || node instanceof GreaterThanEqualsExpression
          || node instanceof LessThanExpression
          || node instanceof LessThanEqualsExpression
          || node instanceof ContainsExpression;
    }

    /** What a refused node is, in the user's words rather than Pebble's class names. */
    private static String describe(Node node) {
      String kind = node.getClass().getSimpleName();
      return switch (kind) {
        case "FunctionOrMacroInvocationExpression",
            "ParentFunctionExpression",
            "BlockFunctionExpression" ->
            "function calls";
        case "ArrayExpression", "MapExpression" -> "list and map literals";
        case "RangeExpression" -> "ranges";
        default -> kind.replaceAll("(Expression|Node)$", "").toLowerCase(Locale.ROOT);
      };
    }

    private static ParserException refused(String what, int lineNumber) {
      return new ParserException(null, "Secret templates do not allow " + what, lineNumber, "");
    }

    private static String sorted(Set<String> names) {
      return String.join(", ", new java.util.TreeSet<>(names));
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    var all = new java.util.HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }
}
