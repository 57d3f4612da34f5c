package dev.ephemeral.lambda.customresource;

/**
 * The field rules of a LambdaInvocationPolicy, shared by the CRD schema annotations and the
 * operator, so the two cannot drift apart.
 */
public final class PolicyRules {

  private PolicyRules() {}

  /** A function name glob: the characters of a function name, plus {@code *} and {@code ?}. */
  public static final String NAME_GLOB_PATTERN = "^[a-zA-Z0-9._*?-]+$";

  public static final int NAME_GLOB_MAX_LENGTH = 64;

  /** A qualifier glob: the characters of a version or alias, plus {@code *} and {@code ?}. */
  public static final String QUALIFIER_GLOB_PATTERN = "^[a-zA-Z0-9$_*?-]+$";

  public static final int QUALIFIER_GLOB_MAX_LENGTH = 128;

  /** An account glob: digits, {@code *} and {@code ?} (12 digits, or {@code *} for any). */
  public static final String ACCOUNT_GLOB_PATTERN = "^[0-9*?]+$";

  public static final int ACCOUNT_GLOB_MAX_LENGTH = 12;

  /** A region glob: lowercase letters, digits, dashes, {@code *} and {@code ?}. */
  public static final String REGION_GLOB_PATTERN = "^[a-z0-9*?-]+$";

  public static final int REGION_GLOB_MAX_LENGTH = 32;

  /** A namespace name (DNS-1123 label). */
  public static final String NAMESPACE_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

  public static final int NAMESPACE_MAX_LENGTH = 63;

  /** An IAM role ARN, with its account. */
  public static final String ROLE_ARN_PATTERN =
      "^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$";

  public static final int ROLE_ARN_MAX_LENGTH = 2048;

  /** STS AssumeRole's ExternalId. */
  public static final String EXTERNAL_ID_PATTERN = "^[a-zA-Z0-9+=,.@:/_-]+$";

  public static final int EXTERNAL_ID_MIN_LENGTH = 2;
  public static final int EXTERNAL_ID_MAX_LENGTH = 1224;

  /** STS session tag keys (the ASCII subset of what IAM accepts). */
  public static final String TAG_KEY_PATTERN = "^[a-zA-Z0-9 _.:/=+@-]+$";

  public static final int TAG_KEY_MAX_LENGTH = 128;
  public static final int TAG_VALUE_MAX_LENGTH = 256;

  /** STS accepts at most 50 session tags. */
  public static final int MAX_SESSION_TAGS = 50;

  public static final String SESSION_TAG_KEYS_RULE =
      "self.all(k, size(k) <= "
          + TAG_KEY_MAX_LENGTH
          + " && k.matches('"
          + TAG_KEY_PATTERN
          + "')) && self.all(k, size(self[k]) <= "
          + TAG_VALUE_MAX_LENGTH
          + ")";

  public static final String SELECTS_NAMESPACES_RULE =
      "has(self.namespaces) || has(self.namespaceSelector)";

  public static final String ROLE_OPTIONS_NEED_ROLE_RULE =
      "has(self.roleArn) || (!has(self.externalId) && !has(self.sessionTags))";

  public static final int MAX_NAMESPACES = 256;
  public static final int MAX_FUNCTIONS = 256;
}
