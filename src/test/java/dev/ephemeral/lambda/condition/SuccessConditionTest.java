package dev.ephemeral.lambda.condition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.condition.SuccessCondition.Failed;
import dev.ephemeral.lambda.condition.SuccessCondition.Met;
import dev.ephemeral.lambda.condition.SuccessCondition.NotMet;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The success condition's verdicts, and its bounds: a hostile expression or result ends in a
 * verdict that names the limit it hit, never in a stall, an exception or a value of the result.
 */
class SuccessConditionTest {

  private static SuccessCondition.Verdict evaluate(String expression, String result) {
    return SuccessCondition.evaluate(
        expression, result.getBytes(StandardCharsets.UTF_8), 200, "7");
  }

  @Test
  void theVariablesAreTheParsedResultTheStatusCodeAndTheExecutedVersion() {
    String result = "{\"compliant\":true,\"api_key\":\"" + "k".repeat(32) + "\",\"score\":0.75}";

    assertThat(evaluate("result.compliant == true", result)).isEqualTo(new Met());
    assertThat(evaluate("has(result.api_key) && size(result.api_key) >= 32", result))
        .isEqualTo(new Met());
    assertThat(evaluate("statusCode == 200 && executedVersion == '7'", result))
        .isEqualTo(new Met());
    // JSON numbers compare across int and double.
    assertThat(evaluate("result.score >= 0.5 && size(result) == 3", result)).isEqualTo(new Met());
    assertThat(evaluate("result.compliant == false", result)).isEqualTo(new NotMet());
  }

  @Test
  void aResultThatIsNotJsonIsTheText() {
    assertThat(evaluate("result == 'OK'", "OK")).isEqualTo(new Met());
    assertThat(evaluate("result.startsWith('{')", "{not json")).isEqualTo(new Met());
  }

  @Test
  void jsonNullIsCelNull() {
    assertThat(evaluate("result.error == null", "{\"error\":null}")).isEqualTo(new Met());
  }

  @Test
  void anEvaluationErrorNamesItsKindAndNoValue() {
    String result = "{\"name\":\"S3NT1NEL\",\"items\":[1]}";

    assertThat(evaluate("result.missing == true", result)).isEqualTo(new Failed("no such key"));
    assertThat(evaluate("result.name > 3", result)).isEqualTo(new Failed("type mismatch"));
    assertThat(evaluate("result.items[5] == 1", result))
        .isEqualTo(new Failed("index out of range"));
    assertThat(evaluate("int(result.name) == 1", result))
        .isEqualTo(new Failed("bad format (a conversion failed)"));
    assertThat(evaluate("result.name", result))
        .isEqualTo(new Failed("type mismatch (the expression gave no boolean)"));
  }

  @Test
  void anExpressionThatIsNotBooleanOrDoesNotCompileIsAProblemBeforeAnyCall() {
    assertThat(SuccessCondition.problem("result.compliant == true")).isEmpty();
    assertThat(SuccessCondition.problem("size(result)"))
        .hasValueSatisfying(p -> assertThat(p).contains("expected type 'bool' but found 'int'"));
    assertThat(SuccessCondition.problem("result.compliant ==")).isPresent();
    assertThat(SuccessCondition.problem("unknownVariable == 1"))
        .hasValueSatisfying(p -> assertThat(p).contains("undeclared reference"));
  }

  @Test
  void deepNestingDoesNotCompile() {
    String deep = "(".repeat(200) + "true" + ")".repeat(200);

    assertThat(SuccessCondition.problem(deep))
        .hasValueSatisfying(p -> assertThat(p).contains("recursion limit"));
  }

  @Test
  void aHugeComprehensionEndsAtTheIterationLimit() {
    String items = "[" + "0,".repeat(999) + "0]";
    // 1000^2 iterations, were it not stopped.
    String nested = "result.all(a, result.all(b, true))";

    assertThat(evaluate(nested, items))
        .isEqualTo(new Failed("iteration limit exceeded (at most 100000)"));
  }

  @Test
  void valuesThatDoubleAtEachStepEndAtTheCostLimit() {
    // Each map doubles the list: 2^28 elements, were it not stopped.
    String lists = "[[1, 2]]" + ".map(l, l + l)".repeat(27) + "[0].size() > 0";
    String strings = "[result]" + ".map(s, s + s)".repeat(27) + "[0].size() > 0";

    assertThat(evaluate(lists, "{}"))
        .isEqualTo(new Failed("cost limit exceeded (at most 1000000 units)"));
    assertThat(evaluate(strings, "abcdefgh"))
        .isEqualTo(new Failed("cost limit exceeded (at most 1000000 units)"));
  }

  @Test
  void aHugeResultIsReadAndAnExpressionBuildingFromItEndsAtTheCostLimit() {
    StringBuilder json = new StringBuilder("{\"compliant\":true,\"items\":[");
    for (int i = 0; i < 90_000; i++) {
      json.append(i == 0 ? "" : ",").append("\"item-").append(i).append('"');
    }
    String huge = json.append("]}").toString();

    // Reading it is not building from it: a plain condition is met.
    assertThat(evaluate("result.compliant == true && size(result.items) == 90000", huge))
        .isEqualTo(new Met());
    // map builds a list per step (quadratic): stopped by cost, under the iteration limit.
    assertThat(evaluate("result.items.map(x, x).size() > 0", huge))
        .isEqualTo(new Failed("cost limit exceeded (at most 1000000 units)"));
  }

  @Test
  void aResultNestedTooDeeplyIsAnErrorNotText() {
    String deep = "[".repeat(5_000) + "]".repeat(5_000);

    assertThat(evaluate("size(result) > 0", deep))
        .isEqualTo(new Failed("result nested deeper than 64 levels"));
  }
}
