package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.CommonPool;
import dev.ephemeral.lambda.JsonLimits;
import dev.ephemeral.lambda.OperatorMain;
import java.util.Map;
import picocli.CommandLine;

/**
 * Entry point of the sandbox's own jar: {@code java -jar lambda-invocation-sandbox.jar [options]}.
 * The operator's jar leaves the sandbox out, with the mock API server it needs.
 */
public final class SandboxMain {

  private SandboxMain() {}

  public static void main(String[] args) {
    CommonPool.keepTwoWorkers();
    JsonLimits.raiseDefaults();
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /**
   * The sandbox's command line, configured by {@code environment} as the operator is by its own: a
   * bad argument gets one line and a pointer to --help, exit status 2.
   */
  public static CommandLine commandLine(Map<String, String> environment) {
    return OperatorMain.withOneLineUsageErrors(
        new CommandLine(new SandboxCommand(environment)));
  }
}
