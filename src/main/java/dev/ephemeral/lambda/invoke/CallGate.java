package dev.ephemeral.lambda.invoke;

/** Asked right before each call starts: whether this replica may start a Lambda call now. */
@FunctionalInterface
public interface CallGate {

  /** Always open: a single replica, without leader election. */
  CallGate OPEN = () -> true;

  boolean mayStartCall();
}
