package dev.ephemeral.lambda.invoke;

/**
 * Invokes a Lambda function synchronously. Never throws for AWS-side failures: they are classified.
 */
public interface LambdaInvoker {

  InvocationResult invoke(InvocationRequest request);
}
