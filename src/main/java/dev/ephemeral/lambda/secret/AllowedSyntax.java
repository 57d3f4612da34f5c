package dev.ephemeral.lambda.secret;

import static dev.ephemeral.lambda.secret.RestrictedPebble.FILTERS;
import static dev.ephemeral.lambda.secret.RestrictedPebble.TESTS;
import static dev.ephemeral.lambda.secret.RestrictedPebble.VARIABLE;

import io.pebbletemplates.pebble.error.ParserException;
import io.pebbletemplates.pebble.extension.AbstractNodeVisitor;
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
import io.pebbletemplates.pebble.template.PebbleTemplateImpl;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses, when a template is compiled, every node the allowlists of {@link RestrictedPebble} do
 * not name: what the parser accepts but the engine must not run (function and method calls, list
 * and map literals, filters and tests outside the allowlists).
 */
final class AllowedSyntax extends AbstractNodeVisitor {

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
