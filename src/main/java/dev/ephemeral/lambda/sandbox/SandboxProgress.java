package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.model.InvocationObserver;
import dev.ephemeral.lambda.model.Trigger;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;

/**
 * One line on stderr for each thing that happens after a LambdaInvocation first settles, so that a
 * run with --duration shows its refreshes, expiries and restarts as they come: {@code
 * lambda-invocation-sandbox: 12:00:05 demo/api-key refreshed: Invoked}. Reasons and safe messages
 * only, never a result.
 */
final class SandboxProgress implements InvocationObserver {

  private final PrintWriter err;
  private final String command;
  private final Clock clock;

  SandboxProgress(PrintWriter err, String command, Clock clock) {
    this.err = err;
    this.command = command;
    this.clock = clock;
  }

  @Override
  public void invoked(
      LambdaInvocation resource, Trigger trigger, ReadyReason outcome, Duration latency) {
    if (trigger == Trigger.REFRESH_DUE) {
      line(resource, "refreshed: " + outcome);
    }
  }

  @Override
  public void secretExpired(LambdaInvocation resource, String message) {
    line(resource, "expired: " + message);
  }

  @Override
  public void workloadRestarted(LambdaInvocation resource, String message) {
    // The message names the workload: "Deployment api restarted: the data of Secret ... changed".
    line(resource, message);
  }

  @Override
  public void workloadNotRestarted(LambdaInvocation resource, String reason, String message) {
    line(resource, "not restarted (" + reason + "): " + message);
  }

  private void line(LambdaInvocation resource, String text) {
    String time = LocalTime.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    synchronized (err) {
      err.println(command + ": " + time + " " + SandboxReport.key(resource) + " " + text);
      err.flush();
    }
  }
}
