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
  Expired,
  /** A ConfigMap or Secret (or its key) that spec.payloadFrom reads is missing or unusable. */
  InputMissing,
  /** With POLICY_MODE=Enforce: no LambdaInvocationPolicy allows this namespace this function. */
  NotAllowed,
  /**
   * The call succeeded, but its result does not meet spec.successCondition (false, or an
   * evaluation error): the Secret keeps its previous data unless the spec opts in.
   */
  ConditionNotMet;

  /**
   * Whether a person must act: the spec, the function, its permissions or another Secret must
   * change. (Such failures may still be retried slowly, but a retry alone does not fix them.)
   */
  public boolean needsUser() {
    return switch (this) {
      case InvalidSpec,
          FunctionNotFound,
          AccessDenied,
          KMSAccessDenied,
          SecretConflict,
          ResultKeyMissing,
          ResultTooLarge,
          InputMissing,
          NotAllowed,
          ConditionNotMet ->
              true;
      default -> false;
    };
  }
}
