package dev.ephemeral.lambda.customresource;

/** The reasons of the Ready condition. */
public enum ReadyReason {
  /** Ready=True: the Secret holds the current spec's result. */
  Invoked,
  InvalidSpec,
  FunctionError,
  FunctionNotFound,
  AccessDenied,
  KMSAccessDenied,
  Throttled,
  InvocationTimeout,
  InvocationFailed,
  ResultKeyMissing,
  ResultTooLarge,
  SecretConflict,
  Expired
}
