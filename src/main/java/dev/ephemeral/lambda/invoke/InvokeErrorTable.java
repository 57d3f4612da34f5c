package dev.ephemeral.lambda.invoke;

import static dev.ephemeral.lambda.customresource.ReadyReason.*;
import static dev.ephemeral.lambda.invoke.FailureDetails.causeOf;
import static dev.ephemeral.lambda.invoke.FailureDetails.errorCode;
import static dev.ephemeral.lambda.invoke.FailureDetails.hasCause;
import static dev.ephemeral.lambda.invoke.FailureDetails.retryAfter;
import static dev.ephemeral.lambda.invoke.FailureDetails.rootCauseName;
import static dev.ephemeral.lambda.invoke.FailureDetails.statusAndCode;
import static dev.ephemeral.lambda.invoke.RetryClass.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult.Failed;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * The one place that maps every Invoke outcome that is not a result to a Ready reason and a retry
 * class, with a message that is safe to show: AWS's own error text only in the shapes {@link
 * AwsErrorMessages} knows, never a function's error message.
 */
public final class InvokeErrorTable {

  private record Entry(ReadyReason reason, RetryClass retry, String advice) {}

  /** By Lambda error code (x-amzn-ErrorType). */
  private static final Map<String, Entry> BY_ERROR_CODE =
      Map.ofEntries(
          Map.entry(
              "ResourceNotFoundException",
              new Entry(
                  FunctionNotFound,
                  SLOW,
                  "check spec.functionName, spec.qualifier and spec.region")),
          Map.entry(
              "AccessDeniedException",
              new Entry(
                  AccessDenied,
                  SLOW,
                  "allow lambda:InvokeFunction on the function for the operator's AWS identity")),
          Map.entry(
              "UnrecognizedClientException",
              new Entry(AccessDenied, SLOW, "the operator's AWS credentials are not valid")),
          Map.entry(
              "InvalidSignatureException",
              new Entry(AccessDenied, SLOW, "the operator's AWS credentials are not valid")),
          Map.entry(
              "ExpiredTokenException",
              new Entry(AccessDenied, SLOW, "the operator's AWS credentials have expired")),
          Map.entry(
              "KMSAccessDeniedException",
              new Entry(
                  KMSAccessDenied,
                  SLOW,
                  "the function cannot decrypt its environment: re-point the function's execution"
                      + " role to one allowed to use its KMS key, or recreate the function")),
          Map.entry(
              "KMSDisabledException",
              new Entry(
                  KMSAccessDenied,
                  SLOW,
                  "the function's KMS key is disabled: enable it, or recreate the function")),
          Map.entry(
              "KMSInvalidStateException",
              new Entry(
                  KMSAccessDenied,
                  SLOW,
                  "the function's KMS key is not usable: fix the key, or recreate the function")),
          Map.entry(
              "KMSNotFoundException",
              new Entry(
                  KMSAccessDenied,
                  SLOW,
                  "the function's KMS key was not found: recreate the function")),
          Map.entry(
              "TooManyRequestsException", new Entry(Throttled, THROTTLED, "Lambda is throttling")),
          Map.entry(
              "ResourceConflictException",
              new Entry(InvocationFailed, BACKOFF, "the function is being created or updated")),
          Map.entry(
              "ResourceNotReadyException",
              new Entry(InvocationFailed, BACKOFF, "the function is not ready yet")),
          Map.entry(
              "ServiceException", new Entry(InvocationFailed, BACKOFF, "Lambda service error")),
          Map.entry(
              "InvalidRequestContentException",
              new Entry(
                  InvocationFailed,
                  ON_SPEC_CHANGE,
                  "Lambda rejected the request: fix spec.payload or spec.clientContext")),
          Map.entry(
              "InvalidParameterValueException",
              new Entry(
                  InvocationFailed, ON_SPEC_CHANGE, "Lambda rejected a parameter: fix the spec")),
          Map.entry(
              "RequestTooLargeException",
              new Entry(
                  InvocationFailed,
                  ON_SPEC_CHANGE,
                  "the request is too large for a synchronous invocation: shrink spec.payload")),
          // Transient infrastructure errors of Lambda's own: no function ran, try again soon.
          Map.entry(
              "EFSMountConnectivityException",
              new Entry(
                  InvocationFailed,
                  BACKOFF,
                  "the function could not connect to its EFS file system")),
          Map.entry(
              "EFSMountTimeoutException",
              new Entry(
                  InvocationFailed,
                  BACKOFF,
                  "the function timed out mounting its EFS file system")),
          Map.entry(
              "EFSIOException",
              new Entry(InvocationFailed, BACKOFF, "the function's EFS file system failed")),
          Map.entry(
              "SnapStartTimeoutException",
              new Entry(InvocationFailed, BACKOFF, "restoring the SnapStart snapshot timed out")),
          Map.entry(
              "SnapStartNotReadyException",
              new Entry(
                  InvocationFailed, BACKOFF, "the function's SnapStart snapshot is not ready yet")),
          Map.entry(
              "EC2ThrottledException",
              new Entry(InvocationFailed, BACKOFF, "EC2 throttled the function's network setup")),
          // The function's configuration is broken: the fix lies outside the resource.
          Map.entry(
              "EFSMountFailureException",
              new Entry(
                  InvocationFailed,
                  SLOW,
                  "the function cannot mount its EFS file system: fix the function's"
                      + " configuration")),
          Map.entry(
              "InvalidRuntimeException",
              new Entry(
                  InvocationFailed,
                  SLOW,
                  "the function's runtime is not supported: update the function")),
          Map.entry(
              "InvalidZipFileException",
              new Entry(
                  InvocationFailed,
                  SLOW,
                  "the function's deployment package is invalid: redeploy the function")),
          Map.entry(
              "InvalidSubnetIDException",
              new Entry(
                  InvocationFailed,
                  SLOW,
                  "the function's VPC subnet is invalid: fix the function's VPC configuration")),
          Map.entry(
              "InvalidSecurityGroupIDException",
              new Entry(
                  InvocationFailed,
                  SLOW,
                  "the function's security group is invalid: fix the function's VPC"
                      + " configuration")),
          Map.entry(
              "SubnetIPAddressLimitReachedException",
              new Entry(
                  InvocationFailed, SLOW, "the function's subnets have no free IP addresses")),
          Map.entry(
              "ENILimitReachedException",
              new Entry(
                  InvocationFailed,
                  SLOW,
                  "the account reached its network interface limit for the function's VPC")),
          Map.entry(
              "EC2AccessDeniedException",
              new Entry(
                  InvocationFailed,
                  SLOW,
                  "the function's execution role may not set up its VPC network: fix the role")),
          Map.entry(
              "UnsupportedMediaTypeException",
              new Entry(
                  InvocationFailed, ON_SPEC_CHANGE, "Lambda rejected the request's content type")));

  private final ObjectMapper mapper;

  public InvokeErrorTable(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * A function error. Only the kind and the errorType are kept; the errorMessage and stack trace
   * belong to the result and are never shown.
   */
  public Failed functionError(String kind, byte[] errorPayload) {
    String errorType = FailureDetails.errorType(mapper, errorPayload);
    String safeKind = "Handled".equals(kind) ? "Handled" : "Unhandled";
    String message =
        "the function returned an error ("
            + safeKind
            + (errorType == null ? "" : ", errorType " + errorType)
            + ")";
    return new Failed(FunctionError, BACKOFF, message);
  }

  /**
   * An exception from the SDK's Invoke call, made with credentials already at hand.
   *
   * @param endpoint the Lambda endpoint's host, named when it cannot be reached
   */
  public Failed exception(String endpoint, Throwable e) {
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
      return new Failed(
          InvocationTimeout,
          BACKOFF,
          "no response within spec.timeout; the function may still have run");
    }
    if (e instanceof AwsServiceException service) {
      return serviceError(service);
    }
    if (e instanceof SdkClientException client) {
      if (hasCause(client, java.net.SocketTimeoutException.class)) {
        return new Failed(
            InvocationTimeout,
            BACKOFF,
            "the response did not arrive in time; the function may still have run");
      }
      if (hasCause(client, IOException.class)) {
        return new Failed(
            InvocationFailed,
            BACKOFF,
            "cannot reach the Lambda endpoint " + endpoint + " (" + rootCauseName(client) + ")");
      }
      String text = String.valueOf(client.getMessage());
      if (text.contains("credentials")) {
        return new Failed(
            AccessDenied,
            SLOW,
            "the operator found no AWS credentials (environment, web identity, Pod Identity,"
                + " profile or instance role)");
      }
      if (text.contains("region")) {
        return noRegion();
      }
      return new Failed(
          InvocationFailed,
          BACKOFF,
          "the AWS SDK failed (" + client.getClass().getSimpleName() + ")");
    }
    return new Failed(
        InvocationFailed, BACKOFF, "invocation failed (" + e.getClass().getSimpleName() + ")");
  }

  /** Neither the spec nor the operator names a region, so there is no endpoint to call. */
  public Failed noRegion() {
    return new Failed(
        InvocationFailed, SLOW, "no AWS region: set spec.region, or AWS_REGION for the operator");
  }

  /**
   * The operator's own AWS credentials could not be had: none configured, or their source (web
   * identity through STS, Pod Identity, instance metadata) failed. Nothing was sent to Lambda.
   */
  public Failed ownCredentials(Throwable e) {
    AwsServiceException service = causeOf(e, AwsServiceException.class);
    if (service != null) {
      return new Failed(
          AccessDenied,
          SLOW,
          "the operator could not get its own AWS credentials: their source answered "
              + statusAndCode(service)
              + "; check the operator's web identity (IRSA) or Pod Identity setup");
    }
    if (hasCause(e, IOException.class)) {
      return new Failed(
          InvocationFailed,
          BACKOFF,
          "the operator could not get its own AWS credentials: their source (web identity"
              + " through STS, Pod Identity or instance metadata) cannot be reached ("
              + rootCauseName(e)
              + ")");
    }
    return new Failed(
        AccessDenied,
        SLOW,
        "the operator found no AWS credentials (environment, web identity, Pod Identity,"
            + " profile or instance role)");
  }

  /**
   * A policy's role could not be assumed: STS refused AssumeRole or could not be reached, or the
   * operator has no credentials of its own to call STS with. Nothing was sent to Lambda. The
   * message names the role and the STS endpoint, never the external ID or the session tags.
   *
   * @param sts the STS endpoint's host
   */
  public Failed assumeRole(AssumedRole role, String sts, Throwable e) {
    String step = "the operator could not assume role " + role.roleArn() + " through STS at " + sts;
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
      return new Failed(InvocationFailed, BACKOFF, step + ": no answer in time");
    }
    AwsServiceException service = causeOf(e, AwsServiceException.class);
    if (service != null) {
      int status = service.statusCode();
      String code = errorCode(service);
      if (status >= 500 || status == 429 || "Throttling".equals(code)) {
        return new Failed(
            InvocationFailed, BACKOFF, step + " (" + statusAndCode(service) + "): STS failed");
      }
      // Only AccessDenied is the trust policy's answer; InvalidClientTokenId (also a 403) is the
      // operator's own credentials, which the last case names.
      if ("AccessDenied".equals(code) || (code == null && status == 403)) {
        return new Failed(
            AccessDenied,
            SLOW,
            step
                + " ("
                + code
                + "): allow sts:AssumeRole (and sts:TagSession with session tags) for the"
                + " operator's AWS identity in the role's trust policy");
      }
      return new Failed(
          AccessDenied,
          SLOW,
          step
              + " ("
              + statusAndCode(service)
              + "): STS refused the request; check the operator's own credentials, the role ARN"
              + " and the policy's externalId and sessionTags");
    }
    if (hasCause(e, IOException.class)) {
      return new Failed(
          InvocationFailed,
          BACKOFF,
          step + ": cannot reach STS (" + rootCauseName(e) + ")");
    }
    if (String.valueOf(e.getMessage()).contains("credentials")) {
      return new Failed(
          AccessDenied,
          SLOW,
          step
              + ": the operator found no AWS credentials of its own to call STS with"
              + " (environment, web identity, Pod Identity, profile or instance role)");
    }
    return new Failed(InvocationFailed, BACKOFF, step + " (" + e.getClass().getSimpleName() + ")");
  }

  private Failed serviceError(AwsServiceException e) {
    String code = errorCode(e);
    int status = e.statusCode();
    Entry entry = code == null ? null : BY_ERROR_CODE.get(code);
    if (entry == null) {
      entry = byStatus(status);
    }
    Optional<String> awsMessage =
        AwsErrorMessages.shown(
            code, e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage());
    String message =
        entry.advice()
            + " (HTTP "
            + status
            + (code == null ? "" : " " + code)
            + ")"
            + awsMessage.map(text -> ": " + text).orElse("");
    Optional<Duration> retryAfter = Optional.empty();
    Optional<ThrottleScope> scope = Optional.empty();
    if (e instanceof TooManyRequestsException throttled) {
      retryAfter = retryAfter(throttled);
      scope = Optional.of(ThrottleScope.of(throttled.reasonAsString()));
    } else if (status == 429) {
      scope = Optional.of(ThrottleScope.FUNCTION);
    }
    return new Failed(entry.reason(), entry.retry(), message, retryAfter, scope);
  }

  private static Entry byStatus(int status) {
    if (status == 429) {
      return BY_ERROR_CODE.get("TooManyRequestsException");
    }
    if (status == 403) {
      return BY_ERROR_CODE.get("AccessDeniedException");
    }
    if (status == 404) {
      return BY_ERROR_CODE.get("ResourceNotFoundException");
    }
    if (status >= 500 || status == 409 || status == 408 || status == 410) {
      return new Entry(InvocationFailed, BACKOFF, "Lambda failed");
    }
    return new Entry(InvocationFailed, ON_SPEC_CHANGE, "Lambda rejected the request: fix the spec");
  }
}
