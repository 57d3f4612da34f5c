package dev.ephemeral.lambda.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every form of functionName resolves to the one full ARN the call would go to, with the operator's
 * default region eu-west-1 and a credentials account 111111111111; anything that would not name
 * exactly one function is refused.
 */
class FunctionArnTest {

  private static final String DEFAULT_REGION = "eu-west-1";
  private static final String ACCOUNT = "111111111111";

  @ParameterizedTest(name = "{0} qualifier={1} region={2} -> {3}")
  @CsvSource(
      nullValues = "-",
      delimiter = '|',
      value = {
        // a plain name: the credentials' account, the call's region
        "my-fn | - | - | arn:aws:lambda:eu-west-1:111111111111:function:my-fn",
        "my-fn | - | us-east-1 | arn:aws:lambda:us-east-1:111111111111:function:my-fn",
        "my-fn | prod | - | arn:aws:lambda:eu-west-1:111111111111:function:my-fn:prod",
        "my-fn:prod | - | - | arn:aws:lambda:eu-west-1:111111111111:function:my-fn:prod",
        "my-fn:prod | prod | - | arn:aws:lambda:eu-west-1:111111111111:function:my-fn:prod",
        "my-fn:$LATEST | - | - | arn:aws:lambda:eu-west-1:111111111111:function:my-fn:$LATEST",
        // read as Lambda reads it: the function named "function", qualifier x
        "function:x | - | - | arn:aws:lambda:eu-west-1:111111111111:function:function:x",
        // names are case-sensitive: kept exactly as written
        "My-Fn | - | - | arn:aws:lambda:eu-west-1:111111111111:function:My-Fn",
        // a partial ARN: its own account
        "999999999999:function:x | - | - | arn:aws:lambda:eu-west-1:999999999999:function:x",
        "999999999999:function:x:7 | - | - | arn:aws:lambda:eu-west-1:999999999999:function:x:7",
        // a full ARN: its own account, its region (which must be the call's)
        "arn:aws:lambda:eu-west-1:999999999999:function:x | - | - |"
            + " arn:aws:lambda:eu-west-1:999999999999:function:x",
        "arn:aws:lambda:us-east-1:999999999999:function:x | - | us-east-1 |"
            + " arn:aws:lambda:us-east-1:999999999999:function:x",
        "arn:aws:lambda:eu-west-1:111111111111:function:x:live | live | - |"
            + " arn:aws:lambda:eu-west-1:111111111111:function:x:live",
        "arn:aws-cn:lambda:cn-north-1:111111111111:function:x | - | cn-north-1 |"
            + " arn:aws-cn:lambda:cn-north-1:111111111111:function:x",
        "my-fn | - | us-gov-west-1 |"
            + " arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:my-fn",
      })
  void resolves(String functionName, String qualifier, String region, String expected) {
    var resolution = FunctionArn.resolve(functionName, qualifier, region, DEFAULT_REGION, ACCOUNT);
    assertThat(resolution).isInstanceOf(FunctionArn.Resolved.class);
    assertThat(((FunctionArn.Resolved) resolution).arn()).hasToString(expected);
  }

  @ParameterizedTest(name = "{0} qualifier={1} region={2} refused: {3}")
  @CsvSource(
      nullValues = "-",
      delimiter = '|',
      value = {
        // an ARN whose region is not where the call goes
        "arn:aws:lambda:us-east-1:111111111111:function:x | - | - | names region us-east-1",
        "arn:aws:lambda:us-east-1:111111111111:function:x | - | eu-west-1 | names region us-east-1",
        // another partition than the region's
        "arn:aws-cn:lambda:eu-west-1:111111111111:function:x | - | - | partition aws-cn",
        // mixed case where AWS writes lowercase
        "ARN:AWS:LAMBDA:eu-west-1:111111111111:function:x | - | - | in lowercase",
        "arn:aws:lambda:EU-WEST-1:111111111111:function:x | - | - | names region EU-WEST-1",
        "arn:aws:Lambda:eu-west-1:111111111111:function:x | - | - | in lowercase",
        "111111111111:Function:x | - | - | in lowercase",
        "x | - | EU-WEST-1 | not an AWS region name in lowercase",
        // a qualifier in the name that spec.qualifier contradicts
        "x:prod | dev | - | contradicts",
        "arn:aws:lambda:eu-west-1:111111111111:function:x:prod | dev | - | contradicts",
        // forms Lambda does not take
        "arn:aws:lambda:eu-west-1:11111111111:function:x | - | - | is not a function name",
        "eu-west-1:111111111111:function:x | - | - | is not a function name",
        "x:y:z | - | - | is not a function name",
        "a/b | - | - | is not a function name",
      })
  void refuses(String functionName, String qualifier, String region, String because) {
    var resolution = FunctionArn.resolve(functionName, qualifier, region, DEFAULT_REGION, ACCOUNT);
    assertThat(resolution).isInstanceOf(FunctionArn.Unresolvable.class);
    assertThat(((FunctionArn.Unresolvable) resolution).reason()).contains(because);
  }

  @org.junit.jupiter.api.Test
  void aPlainNameNeedsAKnownAccountButAnArnDoesNot() {
    assertThat(FunctionArn.resolve("x", null, null, DEFAULT_REGION, null))
        .isInstanceOf(FunctionArn.Unresolvable.class);
    assertThat(
            FunctionArn.resolve(
                "arn:aws:lambda:eu-west-1:222222222222:function:x",
                null,
                null,
                DEFAULT_REGION,
                null))
        .isEqualTo(
            new FunctionArn.Resolved(
                new FunctionArn("aws", "eu-west-1", "222222222222", "x", null)));
  }

  @org.junit.jupiter.api.Test
  void anUnqualifiedCallCountsAsLatest() {
    assertThat(new FunctionArn("aws", "eu-west-1", ACCOUNT, "x", null).effectiveQualifier())
        .isEqualTo("$LATEST");
  }
}
