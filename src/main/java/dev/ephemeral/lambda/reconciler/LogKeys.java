package dev.ephemeral.lambda.reconciler;

/** Key names of structured log fields, shared so log queries stay stable. */
public final class LogKeys {

  private LogKeys() {}

  public static final String NAMESPACE = "namespace";
  public static final String NAME = "name";
  public static final String TRIGGER = "trigger";
  public static final String REASON = "reason";
  public static final String FUNCTION = "function";
  public static final String SECRET = "secret";
  public static final String STATUS_CODE = "statusCode";
  public static final String EXECUTED_VERSION = "executedVersion";
}
