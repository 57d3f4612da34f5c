package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.emulator.ExampleFunctions;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.invoke.LambdaClientSettings;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * The Lambda side of the sandbox: the endpoint --lambda-endpoint names or the built-in one serving
 * the example functions, and the region and credentials the operator's client signs with.
 */
final class SandboxLambda {

  private SandboxLambda() {}

  /** The endpoint --lambda-endpoint names, if any, must be an absolute URL. */
  static void checkEndpoint(URI endpoint) throws ManifestException {
    if (endpoint != null && (endpoint.getScheme() == null || endpoint.getHost() == null)) {
      throw new ManifestException(
          "--lambda-endpoint must be an absolute URL such as http://localhost:4566");
    }
  }

  /** The built-in endpoint on a free local port, serving the example functions. */
  static LambdaEmulator startEmulator() {
    LambdaEmulator emulator = LambdaEmulator.start("127.0.0.1", 0);
    ExampleFunctions.registerAll(emulator);
    return emulator;
  }

  /** AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
  static String region(Map<String, String> environment) {
    return Optional.ofNullable(environment.get("AWS_REGION"))
        .or(() -> Optional.ofNullable(environment.get("AWS_DEFAULT_REGION")))
        .orElse("us-east-1");
  }

  static LambdaClientSettings lambdaSettings(
      Map<String, String> environment, OperatorConfig config, boolean builtIn) {
    String region = region(environment);
    AwsCredentialsProvider credentials =
        !builtIn && environment.containsKey("AWS_ACCESS_KEY_ID")
            ? DefaultCredentialsProvider.builder().build()
            : StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    return new LambdaClientSettings(
        config.lambdaEndpoint(), Optional.of(Region.of(region)), credentials, config.maxInFlight());
  }
}
