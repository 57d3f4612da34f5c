package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.JsonLimits;
import java.util.Map;
import picocli.CommandLine;

/**
 * Entry point of the sandbox's own jar: {@code java -jar lambda-invocation-sandbox.jar [options]}.
 * The operator's jar leaves the sandbox out, with the mock API server it needs.
 */
public final class SandboxMain {

  private SandboxMain() {}

  public static void main(String[] args) {
    JsonLimits.raiseDefaults();
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /**
   * The sandbox's command line, configured by {@code environment} as the operator is by its own: a
   * bad argument gets one line and a pointer to --help, exit status 2.
   */
  public static CommandLine commandLine(Map<String, String> environment) {
    var commandLine = new CommandLine(new SandboxCommand(environment));
    commandLine.setParameterExceptionHandler(
        (e, args) -> {
          var err = e.getCommandLine().getErr();
          err.println(e.getCommandLine().getCommandName() + ": " + e.getMessage());
          err.println(
              "Try '"
                  + e.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help' for the options.");
          err.flush();
          return CommandLine.ExitCode.USAGE;
        });
    return commandLine;
  }
}
