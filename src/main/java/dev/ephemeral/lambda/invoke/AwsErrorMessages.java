package dev.ephemeral.lambda.invoke;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The error messages AWS Lambda returns from Invoke that may be shown, by error code. Every
 * variable part of these messages is an AWS identifier (a function, role or key ARN, a region, an
 * account, a function state, a byte count, a timestamp), so none can carry the payload or the
 * client context; no test on the text itself could tell that for a short secret. A message of any
 * other shape is withheld and only its error code is shown.
 */
final class AwsErrorMessages {

  private AwsErrorMessages() {}

  /** Longer messages are not matched at all (none of the known forms comes near). */
  private static final int MAX_LENGTH = 1_024;

  private static final String PARTITION = "aws(?:-[a-z]+)*";
  private static final String REGION = "[a-z]{2}(?:-[a-z]+)+-\\d{1,2}";
  private static final String ACCOUNT = "\\d{12}";
  private static final String FUNCTION_ARN =
      "arn:"
          + PARTITION
          + ":lambda:"
          + REGION
          + ":"
          + ACCOUNT
          + ":function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?";
  private static final String PRINCIPAL_ARN =
      "arn:" + PARTITION + ":(?:iam|sts)::" + ACCOUNT + ":[A-Za-z0-9+=,.@_/-]{1,512}";
  private static final String KMS_KEY_ARN =
      "arn:" + PARTITION + ":kms:" + REGION + ":" + ACCOUNT + ":key/[A-Za-z0-9-]{1,128}";
  private static final String POLICY =
      "(?:identity-based|resource-based|session|permissions boundary|service control"
          + "|resource control|VPC endpoint) policy";

  /** IAM's reason for a denial of {@code action}, when it gives one. */
  private static String denial(String action) {
    return "(?: because no "
        + POLICY
        + " allows the "
        + Pattern.quote(action)
        + " action| with an explicit deny in an? "
        + POLICY
        + ")?";
  }

  /** What KMS told Lambda, as Lambda passes it on after "KMS Message: ". */
  private static final String KMS_MESSAGE =
      "(?:The security token included in the request is invalid\\.?"
          + "|The ciphertext refers to a customer master key that does not exist, does not exist"
          + " in this region, or you are not allowed to access\\."
          + "|User: "
          + PRINCIPAL_ARN
          + " is not authorized to perform: kms:Decrypt on (?:the )?resource: "
          + KMS_KEY_ARN
          + denial("kms:Decrypt")
          + "|"
          + KMS_KEY_ARN
          + " is (?:disabled|pending deletion|pending import)\\."
          + "|Access to KMS is not allowed)";

  private static final String KMS =
      "Lambda was unable to decrypt the environment variables because (?:KMS access was denied"
          + "|the KMS key used is disabled|the KMS key used is in an invalid state for Decrypt"
          + "|the KMS key was not found)\\."
          + "(?: Please check the function's (?:AWS )?KMS key settings\\.)?"
          + "(?: KMS Exception: [A-Za-z]{1,64}KMS Message: "
          + KMS_MESSAGE
          + ")?";

  /**
   * A message shape; {@code shown} is what is shown of a matching message, or null for the whole
   * message.
   */
  private record Form(Pattern pattern, String shown) {
    static Form whole(String regex) {
      return new Form(Pattern.compile(regex), null);
    }

    /**
     * Only the fixed {@code shown} text: what follows it in AWS's message may quote the request.
     */
    static Form fixed(String shown, String regex) {
      return new Form(Pattern.compile(regex, Pattern.DOTALL), shown);
    }
  }

  private static final List<Form> KMS_FORMS = List.of(Form.whole(KMS));

  private static final Map<String, List<Form>> BY_ERROR_CODE =
      Map.ofEntries(
          Map.entry(
              "ResourceNotFoundException",
              List.of(Form.whole("Function not found: " + FUNCTION_ARN))),
          Map.entry(
              "AccessDeniedException",
              List.of(
                  Form.whole(
                      "User: "
                          + PRINCIPAL_ARN
                          + " is not authorized to perform: lambda:InvokeFunction on resource: "
                          + FUNCTION_ARN
                          + denial("lambda:InvokeFunction")))),
          Map.entry(
              "UnrecognizedClientException",
              List.of(Form.whole("The security token included in the request is invalid\\.?"))),
          Map.entry(
              "ExpiredTokenException",
              List.of(Form.whole("The security token included in the request is expired\\.?"))),
          Map.entry(
              "InvalidSignatureException",
              List.of(
                  Form.whole(
                      "The request signature we calculated does not match the signature you"
                          + " provided\\. Check your AWS Secret Access Key and signing method\\."
                          + " Consult the service documentation for details\\."),
                  Form.whole(
                      "Signature expired: \\d{8}T\\d{6}Z is now earlier than \\d{8}T\\d{6}Z"
                          + " \\(\\d{8}T\\d{6}Z - 5 min\\.\\)"))),
          Map.entry("KMSAccessDeniedException", KMS_FORMS),
          Map.entry("KMSDisabledException", KMS_FORMS),
          Map.entry("KMSInvalidStateException", KMS_FORMS),
          Map.entry("KMSNotFoundException", KMS_FORMS),
          Map.entry("TooManyRequestsException", List.of(Form.whole("Rate [Ee]xceeded\\.?"))),
          Map.entry(
              "ResourceConflictException",
              List.of(
                  Form.whole(
                      "The operation cannot be performed at this time\\."
                          + "(?: The function is currently in the following state: [A-Za-z]{1,32}"
                          + "\\.?| An update is in progress for resource: "
                          + FUNCTION_ARN
                          + ")?"))),
          Map.entry(
              "ResourceNotReadyException",
              List.of(
                  Form.whole(
                      "The function is inactive and its VPC connection is no longer available\\."
                          + " Wait for the VPC connection to reestablish and try again\\."))),
          Map.entry(
              "ServiceException",
              List.of(Form.whole("The (?:AWS )?Lambda service encountered an internal error\\."))),
          Map.entry(
              "RequestTooLargeException",
              List.of(
                  Form.whole(
                      "Request must be smaller than \\d{1,10} bytes for the InvokeFunction"
                          + " operation"))),
          Map.entry(
              "InvalidRequestContentException",
              List.of(
                  Form.whole("Client context must be a valid Base64-encoded JSON object\\."),
                  Form.fixed(
                      "Could not parse request body into json",
                      "Could not parse request body into json(?:: .*)?"))),
          Map.entry(
              "InvalidParameterValueException",
              List.of(
                  Form.whole(
                      "The derived qualifier from the function name does not match the specified"
                          + " qualifier\\."))));

  /** What may be shown of AWS's {@code message} for {@code errorCode}; empty to show none. */
  static Optional<String> shown(String errorCode, String message) {
    if (errorCode == null || message == null || message.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    String text = message.strip();
    for (Form form : BY_ERROR_CODE.getOrDefault(errorCode, List.of())) {
      if (form.pattern().matcher(text).matches()) {
        return Optional.of(form.shown() == null ? text : form.shown());
      }
    }
    return Optional.empty();
  }
}
