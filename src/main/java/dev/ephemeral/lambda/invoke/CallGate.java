package dev.ephemeral.lambda.invoke;

/**
 * Whether this replica may start a Lambda call now. The queue asks right before each call starts:
 * a call once started cannot be recalled, so the question is asked as late as possible.
 */
@FunctionalInterface
public interface CallGate {

  /** One operator alone (no leader election): every call may start. */
  CallGate OPEN = () -> true;

  /**
   * Returns once a call may start; while it may not, the call waits here, still queued.
   *
   * @return false when interrupted while waiting (the queue is closing): the call is not started
   */
  boolean awaitMayStartCall();
}
