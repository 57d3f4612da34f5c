package dev.ephemeral.lambda.policy;

/** Whether LambdaInvocationPolicies are enforced (environment variable POLICY_MODE). */
public enum PolicyMode {
  /** Any LambdaInvocation may invoke any function the operator's AWS identity may invoke. */
  Off,
  /** A LambdaInvocation is invoked only when a LambdaInvocationPolicy allows it. */
  Enforce
}
