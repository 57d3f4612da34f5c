package dev.ephemeral.lambda.policy;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The full ARN of the function a LambdaInvocation calls: what a policy is checked against. Every
 * form of {@code functionName} (name, {@code name:qualifier}, partial ARN, full ARN) resolves
 * through {@link #resolve} to this one form, so an ARN naming another account or region cannot pass
 * for a plain name.
 *
 * @param qualifier the version or alias; null for an unqualified call ($LATEST)
 */
public record FunctionArn(
    String partition, String region, String account, String name, String qualifier) {

  /** What an unqualified call invokes, and what a policy's qualifier pattern sees for it. */
  public static final String LATEST = "$LATEST";

  private static final String NAME = "(?<name>[a-zA-Z0-9._-]{1,64})";
  private static final String QUALIFIER = "(?::(?<qualifier>\\$LATEST|[a-zA-Z0-9_-]{1,128}))?";

  /**
   * Lowercase only, as AWS writes them: an ARN in another case is refused rather than guessed at,
   * since whether Lambda would read it as the same function is not ours to decide.
   */
  private static final Pattern FULL_ARN =
      Pattern.compile(
          "arn:(?<partition>aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)"
              + ":lambda:(?<region>[^:]*):(?<account>[0-9]{12}):function:"
              + NAME
              + QUALIFIER);

  private static final Pattern PARTIAL_ARN =
      Pattern.compile("(?<account>[0-9]{12}):function:" + NAME + QUALIFIER);

  private static final Pattern PLAIN = Pattern.compile(NAME + QUALIFIER);

  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]{1,2}");

  private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");

  /** The result of {@link #resolve}: an ARN, or why there is none. */
  public sealed interface Resolution permits Resolved, Unresolvable {}

  public record Resolved(FunctionArn arn) implements Resolution {}

  /**
   * @param reason names the field and what is wrong; it holds no secret (spec fields only)
   */
  public record Unresolvable(String reason) implements Resolution {}

  /**
   * Resolves what a LambdaInvocation calls into the full ARN of the function Lambda would invoke.
   * Pure.
   *
   * @param functionName spec.functionName as written
   * @param qualifier spec.qualifier, or null
   * @param region spec.region, or null for the default region
   * @param defaultRegion the operator's default region, where the call goes without spec.region
   * @param account the account of the credentials the call is made with: where a plain name
   *     (without an account of its own) is looked up; null when unknown
   */
  public static Resolution resolve(
      String functionName, String qualifier, String region, String defaultRegion, String account) {
    if (functionName == null || functionName.isEmpty()) {
      return new Unresolvable("functionName is empty");
    }
    String callRegion = region != null ? region : defaultRegion;
    if (callRegion == null) {
      return new Unresolvable("no region: set spec.region or the operator's AWS_REGION");
    }
    if (!REGION.matcher(callRegion).matches()) {
      return new Unresolvable(
          "region " + callRegion + " is not an AWS region name in lowercase, such as eu-west-1");
    }
    Matcher m;
    String arnAccount;
    if ((m = FULL_ARN.matcher(functionName)).matches()) {
      arnAccount = m.group("account");
      if (!m.group("region").equals(callRegion)) {
        return new Unresolvable(
            "functionName names region "
                + m.group("region")
                + ", but the call goes to region "
                + callRegion
                + (region != null ? " (spec.region)" : " (the operator's default)")
                + ": set spec.region to the ARN's region");
      }
      if (!m.group("partition").equals(partitionOf(callRegion))) {
        return new Unresolvable(
            "functionName names partition "
                + m.group("partition")
                + ", but region "
                + callRegion
                + " is in partition "
                + partitionOf(callRegion));
      }
    } else if ((m = PARTIAL_ARN.matcher(functionName)).matches()) {
      arnAccount = m.group("account");
    } else if ((m = PLAIN.matcher(functionName)).matches()) {
      arnAccount = null;
    } else {
      return new Unresolvable(
          "functionName "
              + functionName
              + " is not a function name, name:qualifier, partial ARN"
              + " (123456789012:function:name) or full ARN in lowercase"
              + " (arn:aws:lambda:region:123456789012:function:name)");
    }
    String inName = m.group("qualifier");
    if (inName != null && qualifier != null && !inName.equals(qualifier)) {
      return new Unresolvable(
          "qualifier " + qualifier + " contradicts the qualifier " + inName + " in functionName");
    }
    String resolvedAccount = arnAccount != null ? arnAccount : account;
    if (resolvedAccount == null || !ACCOUNT.matcher(resolvedAccount).matches()) {
      return new Unresolvable(
          "functionName "
              + functionName
              + " names no account, and the operator does not know its own (set AWS_ACCOUNT_ID)");
    }
    return new Resolved(
        new FunctionArn(
            partitionOf(callRegion),
            callRegion,
            resolvedAccount,
            m.group("name"),
            inName != null ? inName : qualifier));
  }

  /** The AWS partition a region belongs to. */
  static String partitionOf(String region) {
    if (region.startsWith("cn-")) {
      return "aws-cn";
    }
    if (region.startsWith("us-gov-")) {
      return "aws-us-gov";
    }
    if (region.startsWith("us-isob-")) {
      return "aws-iso-b";
    }
    if (region.startsWith("us-iso-")) {
      return "aws-iso";
    }
    return "aws";
  }

  /** The qualifier a policy's pattern is matched against: {@link #LATEST} when unqualified. */
  public String effectiveQualifier() {
    return Objects.requireNonNullElse(qualifier, LATEST);
  }

  @Override
  public String toString() {
    return "arn:"
        + partition
        + ":lambda:"
        + region
        + ":"
        + account
        + ":function:"
        + name
        + (qualifier == null ? "" : ":" + qualifier);
  }
}
