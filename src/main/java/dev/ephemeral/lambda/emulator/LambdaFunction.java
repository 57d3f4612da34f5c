package dev.ephemeral.lambda.emulator;

/** The code of an emulated Lambda function: one call in, one outcome out. */
@FunctionalInterface
public interface LambdaFunction {

  FunctionOutcome handle(FunctionCall call);
}
