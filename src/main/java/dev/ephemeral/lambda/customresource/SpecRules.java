package dev.ephemeral.lambda.customresource;

/**
 * The field rules of a LambdaInvocation as constants, shared by the CRD schema annotations
 * (admission) and {@link dev.ephemeral.lambda.validation.SpecValidator} (the operator), so the two
 * checks cannot drift apart.
 */
public final class SpecRules {

  private SpecRules() {}

  /** Lambda Invoke's FunctionName: name, name:qualifier, partial ARN or full ARN. */
  public static final String FUNCTION_NAME_PATTERN =
      "^(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:function:|[0-9]{12}:function:)?"
          + "[a-zA-Z0-9._-]+(:(\\$LATEST|[a-zA-Z0-9_-]+))?$";

  public static final int FUNCTION_NAME_MAX_LENGTH = 170;
  public static final int PLAIN_NAME_MAX_LENGTH = 64;

  /**
   * The name part (between the optional ARN prefix and the optional qualifier) has at most 64
   * characters.
   */
  public static final String FUNCTION_NAME_PART_PATTERN =
      "^(arn:[^:]*:lambda:[^:]*:[0-9]{12}:function:|[0-9]{12}:function:)?[^:]{1,64}(:[^:]+)?$";

  /** functionName carries a qualifier of its own (name:qualifier or ARN:qualifier). */
  public static final String QUALIFIED_FUNCTION_NAME_PATTERN =
      "^(arn:[^:]+:lambda:[^:]+:[0-9]{12}:function:|[0-9]{12}:function:)?[^:]+:[^:]+$";

  public static final String QUALIFIER_PATTERN = "^[a-zA-Z0-9$_-]+$";
  public static final int QUALIFIER_MAX_LENGTH = 128;

  public static final String REGION_PATTERN = "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$";
  public static final int REGION_MAX_LENGTH = 32;

  /**
   * Standard base64 with padding. The CRD checks only this for clientContext: Kubernetes' CEL has
   * no portable base64 decoding, so that the text decodes to a JSON object is the operator's check.
   */
  public static final String BASE64_PATTERN =
      "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";

  public static final int CLIENT_CONTEXT_MAX_LENGTH = 3583;

  /** Synchronous Invoke's request payload limit. */
  public static final int PAYLOAD_MAX_BYTES = 6_291_456;

  /** Go/Kubernetes durations with integer components: 90s, 10m, 1h30m, 500ms. */
  public static final String DURATION_PATTERN = "^([0-9]+(h|m|s|ms|us|µs|ns))+$";

  public static final int DURATION_MAX_LENGTH = 32;

  /**
   * Durations whose every part is small enough that no sum of them in {@link #DURATION_MAX_LENGTH}
   * characters comes near the range of Go's 64-bit nanoseconds (about 292 years): at most 4 digits
   * of h, 6 of m, 8 of s, 11 of ms, 14 of us and 17 of ns, after any leading zeros. Every duration
   * up to {@link #MAX_INTERVAL} matches. Kubernetes' CEL {@code duration()} fails with an error,
   * not false, on a value beyond that range, so each duration rule checks this first.
   */
  public static final String DURATION_IN_RANGE_PATTERN =
      "^(0*([0-9]{1,4}h|[0-9]{1,6}m|[0-9]{1,8}s|[0-9]{1,11}ms|[0-9]{1,14}(us|µs)|[0-9]{1,17}ns))"
          + "+$";

  /** The longest timeout: the longest a function can run. */
  public static final String MAX_TIMEOUT = "15m";

  /**
   * The longest refreshInterval and secret.ttl, 365 days: longer means never in practice (leave the
   * field out), and it is far inside what Kubernetes and {@code java.time.Instant} can hold.
   */
  public static final String MAX_INTERVAL = "8760h";

  public static final String TIMEOUT_RULE =
      "self.matches('"
          + DURATION_IN_RANGE_PATTERN
          + "') && duration(self) >= duration('1s') && duration(self) <= duration('"
          + MAX_TIMEOUT
          + "')";

  /** refreshInterval and secret.ttl: from 1s to {@link #MAX_INTERVAL}. */
  public static final String INTERVAL_RULE =
      "self.matches('"
          + DURATION_IN_RANGE_PATTERN
          + "') && duration(self) >= duration('1s') && duration(self) <= duration('"
          + MAX_INTERVAL
          + "')";

  /** A DNS-1123 subdomain, as Secret names must be. */
  public static final String SECRET_NAME_PATTERN =
      "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

  public static final int SECRET_NAME_MAX_LENGTH = 253;

  /**
   * A valid Secret data key: {@code [-._a-zA-Z0-9]+}, and (as the API server also demands) not
   * {@code .} and not starting with {@code ..}. Written with {@code [.]} rather than an escaped dot
   * so the same text works as a Java regex, a schema pattern and inside a CEL string literal.
   */
  public static final String SECRET_KEY_PATTERN = "^[.]?[-_a-zA-Z0-9][-._a-zA-Z0-9]*$";

  public static final int SECRET_KEY_MAX_LENGTH = 253;

  /** Every key of secret.keys is a valid Secret data key (the schema cannot constrain map keys). */
  public static final String SECRET_KEY_NAMES_RULE =
      "self.all(k, size(k) <= "
          + SECRET_KEY_MAX_LENGTH
          + " && k.matches('"
          + SECRET_KEY_PATTERN
          + "'))";

  /**
   * A qualified name, as label and annotation keys must be: an optional DNS subdomain prefix and
   * {@code /}, then a name of at most 63 characters. The prefix's limit of 253 characters is {@link
   * #QUALIFIED_NAME_KEYS_RULE}'s second check.
   */
  public static final String QUALIFIED_NAME_PATTERN =
      "^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
          + "([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$";

  /** Every key of the map (secret.labels, secret.annotations) is a qualified name. */
  public static final String QUALIFIED_NAME_KEYS_RULE =
      "self.all(k, k.matches('" + QUALIFIED_NAME_PATTERN + "') && !k.matches('^[^/]{254,}/'))";

  /**
   * A label value: empty, or at most 63 alphanumerics, '-', '_' or '.', starting and ending
   * alphanumeric.
   */
  public static final String LABEL_VALUE_PATTERN = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";

  public static final int LABEL_VALUE_MAX_LENGTH = 63;

  /** RFC 6901 JSON Pointer. */
  public static final String JSON_POINTER_PATTERN = "^(/([^~/]|~[01])*)*$";

  public static final int JSON_POINTER_MAX_LENGTH = 1024;
  public static final int MAX_PROJECTED_KEYS = 64;
  public static final int MAX_SECRET_METADATA_ENTRIES = 64;

  /** A workload's name (Deployment, StatefulSet, DaemonSet): a DNS-1123 subdomain. */
  public static final String WORKLOAD_NAME_PATTERN = SECRET_NAME_PATTERN;

  public static final int WORKLOAD_NAME_MAX_LENGTH = 253;

  /** secret.rolloutRestartTargets: each is one PATCH after a data change, so the list is short. */
  public static final int MAX_ROLLOUT_RESTART_TARGETS = 32;

  public static final String RESERVED_KEYS_RULE = "self.all(k, k != 'result' && k != 'log_result')";

  public static final String QUALIFIER_CONSISTENCY_RULE =
      "!has(self.qualifier) || !self.functionName.matches('"
          + QUALIFIED_FUNCTION_NAME_PATTERN
          + "') || self.functionName.endsWith(':' + self.qualifier)";

  public static final String RESERVED_LABELS_RULE =
      "!('app.kubernetes.io/managed-by' in self) && !('lambda.ephemeral.dev/invocation' in self)";

  public static final String RESERVED_ANNOTATIONS_RULE =
      "self.all(k, !k.startsWith('lambda.ephemeral.dev/'))";

  /**
   * The Secret types the operator writes: Opaque, and the Kubernetes types whose required keys the
   * API server checks (service-account and bootstrap tokens are filled by Kubernetes itself).
   */
  public static final String SECRET_TYPE_PATTERN =
      "^(Opaque|kubernetes[.]io/(basic-auth|dockercfg|dockerconfigjson|ssh-auth|tls))$";

  public static final int SECRET_TYPE_MAX_LENGTH = 64;

  /** The longest template of secret.template, in characters. */
  public static final int TEMPLATE_MAX_LENGTH = 4096;

  /** Whether secret.keys or secret.template defines the key (CEL over a SecretSpec): open... */
  private static final String DEFINES_OPEN = "((has(self.keys) && '";

  /** ...the key, then this, the key again, and {@link #DEFINES_CLOSE}. */
  private static final String DEFINES_MIDDLE = "' in self.keys) || (has(self.template) && '";

  private static final String DEFINES_CLOSE = "' in self.template))";

  private static final String DEFINES_USERNAME =
      DEFINES_OPEN + "username" + DEFINES_MIDDLE + "username" + DEFINES_CLOSE;
  private static final String DEFINES_PASSWORD =
      DEFINES_OPEN + "password" + DEFINES_MIDDLE + "password" + DEFINES_CLOSE;
  private static final String DEFINES_DOCKERCFG =
      DEFINES_OPEN + ".dockercfg" + DEFINES_MIDDLE + ".dockercfg" + DEFINES_CLOSE;
  private static final String DEFINES_DOCKERCONFIGJSON =
      DEFINES_OPEN + ".dockerconfigjson" + DEFINES_MIDDLE + ".dockerconfigjson" + DEFINES_CLOSE;
  private static final String DEFINES_SSH_PRIVATEKEY =
      DEFINES_OPEN + "ssh-privatekey" + DEFINES_MIDDLE + "ssh-privatekey" + DEFINES_CLOSE;
  private static final String DEFINES_TLS_CRT =
      DEFINES_OPEN + "tls.crt" + DEFINES_MIDDLE + "tls.crt" + DEFINES_CLOSE;
  private static final String DEFINES_TLS_KEY =
      DEFINES_OPEN + "tls.key" + DEFINES_MIDDLE + "tls.key" + DEFINES_CLOSE;

  /**
   * secret.keys or secret.template defines the keys that secret.type requires, as the API server
   * demands them: basic-auth username or password, dockercfg .dockercfg, dockerconfigjson
   * .dockerconfigjson, ssh-auth ssh-privatekey, tls tls.crt and tls.key.
   */
  public static final String SECRET_TYPE_KEYS_RULE =
      "!has(self.type)"
          + " || (self.type == 'kubernetes.io/basic-auth' ? "
          + DEFINES_USERNAME
          + " || "
          + DEFINES_PASSWORD
          + " : self.type == 'kubernetes.io/dockercfg' ? "
          + DEFINES_DOCKERCFG
          + " : self.type == 'kubernetes.io/dockerconfigjson' ? "
          + DEFINES_DOCKERCONFIGJSON
          + " : self.type == 'kubernetes.io/ssh-auth' ? "
          + DEFINES_SSH_PRIVATEKEY
          + " : self.type == 'kubernetes.io/tls' ? "
          + DEFINES_TLS_CRT
          + " && "
          + DEFINES_TLS_KEY
          + " : true)";

  /** No Secret key is named both in secret.keys and in secret.template. */
  public static final String KEYS_XOR_TEMPLATE_RULE =
      "!has(self.keys) || !has(self.template) || self.template.all(k, !(k in self.keys))";

  /** At most this many entries in payloadFrom: each one is a read at every reconcile. */
  public static final int MAX_PAYLOAD_INPUTS = 32;

  /** A payloadFrom entry names exactly one source. */
  public static final String PAYLOAD_INPUT_ONE_SOURCE_RULE =
      "has(self.configMapKeyRef) != has(self.secretKeyRef)";

  /** '-' (the end of an array) can be written to, not gone through. */
  public static final String PAYLOAD_POINTER_APPEND_RULE = "!self.contains('/-/')";

  /**
   * No payloadFrom entry reads the resource's own result Secret (when spec.secret.name names it;
   * the default name, metadata.name, only the operator can compare): each result would be an input
   * change, and so invoke again, without end.
   */
  public static final String PAYLOAD_NOT_OWN_SECRET_RULE =
      "!has(self.payloadFrom) || !has(self.secret) || !has(self.secret.name)"
          + " || self.payloadFrom.all(p, !has(p.secretKeyRef) || !has(p.secretKeyRef.name)"
          + " || p.secretKeyRef.name != self.secret.name)";

  /**
   * spec.successCondition.expression: a CEL expression, at most this many characters (the CRD's
   * maxLength, and the longest the operator's CEL parser accepts).
   */
  public static final int SUCCESS_CONDITION_MAX_LENGTH = 1024;

  /** spec.successCondition.message: a fixed text for the condition message. */
  public static final int SUCCESS_CONDITION_MESSAGE_MAX_LENGTH = 256;

  /**
   * With spec.secret.previousValueRetention, each data key {@code k} may be kept as {@code
   * k.previous}: a key of secret.keys or secret.template must leave room for the suffix and must
   * not end with it.
   */
  public static final String PREVIOUS_KEY_SUFFIX = ".previous";

  /** {@link #SECRET_KEY_MAX_LENGTH} less the length of {@link #PREVIOUS_KEY_SUFFIX}. */
  public static final int RETAINED_KEY_MAX_LENGTH = 244;

  /** The keys of secret.keys and secret.template leave room for the suffix of a previous value. */
  public static final String PREVIOUS_KEYS_RULE =
      "!has(self.previousValueRetention)"
          + " || ((!has(self.keys) || self.keys.all(k, size(k) <= "
          + RETAINED_KEY_MAX_LENGTH
          + " && !k.endsWith('"
          + PREVIOUS_KEY_SUFFIX
          + "')))"
          + " && (!has(self.template) || self.template.all(k, size(k) <= "
          + RETAINED_KEY_MAX_LENGTH
          + " && !k.endsWith('"
          + PREVIOUS_KEY_SUFFIX
          + "'))))";
}
