package dev.ephemeral.lambda.secret;

/** Names of the keys, labels and annotations on a result Secret. */
public final class SecretLayout {

  private SecretLayout() {}

  public static final String RESULT_KEY = "result";
  public static final String LOG_RESULT_KEY = "log_result";

  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY_VALUE = "lambda-invocation-operator";
  public static final String INVOCATION_LABEL = "lambda.ephemeral.dev/invocation";

  public static final String INVOKED_AT_ANNOTATION = "lambda.ephemeral.dev/invoked-at";
  public static final String EXPIRES_AT_ANNOTATION = "lambda.ephemeral.dev/expires-at";
  public static final String DATA_HASH_ANNOTATION = "lambda.ephemeral.dev/data-hash";

  /**
   * With spec.secret.previousValueRetention: when the keys holding the previous values go. Present
   * only while the Secret holds them.
   */
  public static final String PREVIOUS_EXPIRES_AT_ANNOTATION =
      "lambda.ephemeral.dev/previous-expires-at";

  /** The label selector of the Secret informer: the operator never caches other Secrets. */
  public static final String MANAGED_SELECTOR = MANAGED_BY_LABEL + "=" + MANAGED_BY_VALUE;

  /** A Secret's data (keys plus values) must stay under this. */
  public static final int MAX_SECRET_BYTES = 1024 * 1024;
}
