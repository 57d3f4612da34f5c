package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.config.OperatorConfig;
import dev.ephemeral.lambda.emulator.ExampleFunctions;
import dev.ephemeral.lambda.emulator.LambdaEmulator;
import dev.ephemeral.lambda.invoke.LambdaClientSettings;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
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

  /**
   * An external endpoint ({@code source} says where it was named) answers a connection, so that a
   * Lambda emulator that is not running is one line naming its URL, not a failed invocation per
   * resource.
   */
  static void checkReachable(URI endpoint, String source) throws ManifestException {
    int port =
        endpoint.getPort() > 0 ? endpoint.getPort() : "https".equals(endpoint.getScheme()) ? 443 : 80;
    try (var socket = new Socket()) {
      socket.connect(new InetSocketAddress(endpoint.getHost(), port), CONNECT_TIMEOUT_MILLIS);
    } catch (IOException e) {
      throw new ManifestException(
          source
              + " "
              + endpoint
              + " is not reachable ("
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage())
              + "): start the Lambda emulator there, or leave "
              + source
              + " out to use the built-in example functions");
    }
  }

  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

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
