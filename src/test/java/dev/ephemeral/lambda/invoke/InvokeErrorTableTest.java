package dev.ephemeral.lambda.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult.Failed;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.lambda.model.InvalidRequestContentException;
import software.amazon.awssdk.services.lambda.model.KmsAccessDeniedException;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.RequestTooLargeException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.ResourceNotReadyException;
import software.amazon.awssdk.services.lambda.model.ServiceException;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

class InvokeErrorTableTest {

  private static final String LAMBDA = "lambda.eu-west-1.amazonaws.com";
  private static final String STS = "sts.eu-west-1.amazonaws.com";
  private static final AssumedRole ROLE =
      new AssumedRole("arn:aws:iam::222222222222:role/shop", "external-id-s3cret", Map.of());

  private final InvokeErrorTable table = new InvokeErrorTable(new ObjectMapper());

  // --- retried slowly: the fix lies outside the resource

  @Test
  void functionNotFoundIsRetriedSlowly() {
    Failed failed =
        table.exception(
            LAMBDA,
            ResourceNotFoundException.builder()
                .statusCode(404)
                .awsErrorDetails(
                    details(
                        "ResourceNotFoundException",
                        "Function not found:"
                            + " arn:aws:lambda:eu-west-1:123456789012:function:secret-generator",
                        404))
                .build());

    assertThat(failed.reason()).isEqualTo(ReadyReason.FunctionNotFound);
    assertThat(failed.retry()).isEqualTo(RetryClass.SLOW);
    assertThat(failed.message())
        .contains("spec.functionName", "404", "Function not found: arn:aws:lambda");
  }

  @Test
  void accessDeniedIsRetriedSlowly() {
    Failed failed =
        table.exception(
            LAMBDA,
            LambdaException.builder()
                .statusCode(403)
                .awsErrorDetails(details("AccessDeniedException", "User is not authorized", 403))
                .build());

    assertThat(failed.reason()).isEqualTo(ReadyReason.AccessDenied);
    assertThat(failed.retry()).isEqualTo(RetryClass.SLOW);
    assertThat(failed.message()).contains("lambda:InvokeFunction");
  }

  @Test
  void kmsAccessDeniedIsRetriedSlowlyAndSaysHowToFixIt() {
    Failed failed =
        table.exception(
            LAMBDA,
            KmsAccessDeniedException.builder()
                .statusCode(502)
                .awsErrorDetails(
                    details(
                        "KMSAccessDeniedException",
                        "Lambda was unable to decrypt the environment variables because KMS access"
                            + " was denied.",
                        502))
                .build());

    assertThat(failed.reason()).isEqualTo(ReadyReason.KMSAccessDenied);
    assertThat(failed.retry()).isEqualTo(RetryClass.SLOW);
    assertThat(failed.message())
        .contains("re-point the function's execution role", "recreate the function");
  }

  // --- retried with backoff

  @Test
  void throttlingIsRetriedWithBackoffHonouringRetryAfter() {
    Failed failed =
        table.exception(
            LAMBDA,
            TooManyRequestsException.builder()
                .statusCode(429)
                .awsErrorDetails(
                    AwsErrorDetails.builder()
                        .errorCode("TooManyRequestsException")
                        .errorMessage("Rate Exceeded.")
                        .sdkHttpResponse(
                            SdkHttpResponse.builder()
                                .statusCode(429)
                                .putHeader("Retry-After", "7")
                                .build())
                        .build())
                .build());

    assertThat(failed.reason()).isEqualTo(ReadyReason.Throttled);
    assertThat(failed.retry()).isEqualTo(RetryClass.THROTTLED);
    assertThat(failed.retryAfter()).contains(Duration.ofSeconds(7));
  }

  @Test
  void retryAfterIsTakenFromTheModelledMember() {
    Failed failed =
        table.exception(
            LAMBDA,
            TooManyRequestsException.builder()
                .statusCode(429)
                .retryAfterSeconds("12")
                .awsErrorDetails(details("TooManyRequestsException", "Rate Exceeded.", 429))
                .build());

    assertThat(failed.retryAfter()).contains(Duration.ofSeconds(12));
  }

  @Test
  void throttlingWithoutUsableRetryAfterHasNone() {
    Failed absent =
        table.exception(
            LAMBDA,
            TooManyRequestsException.builder()
                .statusCode(429)
                .awsErrorDetails(details("TooManyRequestsException", "Rate Exceeded.", 429))
                .build());
    Failed garbled =
        table.exception(
            LAMBDA,
            TooManyRequestsException.builder()
                .statusCode(429)
                .awsErrorDetails(
                    AwsErrorDetails.builder()
                        .errorCode("TooManyRequestsException")
                        .sdkHttpResponse(
                            SdkHttpResponse.builder()
                                .statusCode(429)
                                .putHeader("Retry-After", "soon")
                                .build())
                        .build())
                .build());

    assertThat(absent.retryAfter()).isEmpty();
    assertThat(garbled.retryAfter()).isEmpty();
    assertThat(garbled.reason()).isEqualTo(ReadyReason.Throttled);
  }

  @Test
  void functionNotReadyYetAndServiceErrorsAreRetriedWithBackoff() {
    AwsServiceException[] errors = {
      ResourceConflictException.builder()
          .statusCode(409)
          .awsErrorDetails(
              details(
                  "ResourceConflictException",
                  "The operation cannot be performed at this time.",
                  409))
          .build(),
      ResourceNotReadyException.builder()
          .statusCode(502)
          .awsErrorDetails(
              details(
                  "ResourceNotReadyException",
                  "The function is currently in the Pending state.",
                  502))
          .build(),
      ServiceException.builder()
          .statusCode(500)
          .awsErrorDetails(details("ServiceException", "Internal error", 500))
          .build(),
      LambdaException.builder()
          .statusCode(503)
          .awsErrorDetails(details("SomethingNewException", "Try later", 503))
          .build(),
    };

    for (AwsServiceException error : errors) {
      Failed failed = table.exception(LAMBDA, error);
      assertThat(failed.reason())
          .as(error.awsErrorDetails().errorCode())
          .isEqualTo(ReadyReason.InvocationFailed);
      assertThat(failed.retry())
          .as(error.awsErrorDetails().errorCode())
          .isEqualTo(RetryClass.BACKOFF);
    }
  }

  @Test
  void timeoutIsInvocationTimeoutRetriedWithBackoff() {
    for (Throwable timeout :
        new Throwable[] {
          ApiCallTimeoutException.create(30_000), ApiCallAttemptTimeoutException.create(30_000)
        }) {
      Failed failed = table.exception(LAMBDA, timeout);

      assertThat(failed.reason()).isEqualTo(ReadyReason.InvocationTimeout);
      assertThat(failed.retry()).isEqualTo(RetryClass.BACKOFF);
    }
  }

  @Test
  void connectionFailureIsRetriedWithBackoff() {
    Failed failed =
        table.exception(
            LAMBDA,
            SdkClientException.builder()
                .message("Unable to execute HTTP request: Connection refused")
                .cause(new ConnectException("Connection refused"))
                .build());

    assertThat(failed.reason()).isEqualTo(ReadyReason.InvocationFailed);
    assertThat(failed.retry()).isEqualTo(RetryClass.BACKOFF);
    assertThat(failed.message())
        .isEqualTo("cannot reach the Lambda endpoint " + LAMBDA + " (ConnectException)");
  }

  // --- failures before the call name their step, and never reach for the Lambda endpoint

  @Test
  void anUnreachableStsNamesTheRoleAndStsNotLambda() {
    Failed failed =
        table.assumeRole(
            ROLE,
            STS,
            SdkClientException.builder()
                .message("Unable to execute HTTP request: " + STS)
                .cause(new java.net.UnknownHostException(STS))
                .build());

    assertThat(failed.reason()).isEqualTo(ReadyReason.InvocationFailed);
    assertThat(failed.retry()).isEqualTo(RetryClass.BACKOFF);
    assertThat(failed.message())
        .isEqualTo(
            "the operator could not assume role arn:aws:iam::222222222222:role/shop through STS"
                + " at "
                + STS
                + ": cannot reach STS (UnknownHostException)")
        .doesNotContain("Lambda", "external-id-s3cret");
  }

  @Test
  void stsErrorsAreClassifiedByWhatTheyMean() {
    Failed denied = table.assumeRole(ROLE, STS, stsError("AccessDenied", 403));
    Failed failing = table.assumeRole(ROLE, STS, stsError("InternalFailure", 500));
    Failed throttled = table.assumeRole(ROLE, STS, stsError("Throttling", 400));
    Failed invalid = table.assumeRole(ROLE, STS, stsError("InvalidClientTokenId", 403));
    Failed malformed = table.assumeRole(ROLE, STS, stsError("ValidationError", 400));

    assertThat(denied.reason()).isEqualTo(ReadyReason.AccessDenied);
    assertThat(denied.retry()).isEqualTo(RetryClass.SLOW);
    assertThat(denied.message())
        .startsWith(
            "the operator could not assume role arn:aws:iam::222222222222:role/shop through STS at "
                + STS
                + " (AccessDenied): allow sts:AssumeRole");
    assertThat(failing.reason()).isEqualTo(ReadyReason.InvocationFailed);
    assertThat(failing.retry()).isEqualTo(RetryClass.BACKOFF);
    assertThat(failing.message()).endsWith("(HTTP 500 InternalFailure): STS failed");
    assertThat(throttled.retry()).isEqualTo(RetryClass.BACKOFF);
    assertThat(invalid.reason()).isEqualTo(ReadyReason.AccessDenied);
    assertThat(invalid.message()).contains("(HTTP 403 InvalidClientTokenId)");
    assertThat(malformed.reason()).isEqualTo(ReadyReason.AccessDenied);
    assertThat(malformed.message())
        .contains("(HTTP 400 ValidationError): STS refused the request");
    assertThat(List.of(denied, failing, throttled, invalid, malformed))
        .allSatisfy(
            f ->
                assertThat(f.message())
                    .contains("role arn:aws:iam::222222222222:role/shop", STS)
                    .doesNotContain("Lambda endpoint", "external-id-s3cret", "not authorized"));
  }

  @Test
  void theOperatorsOwnCredentialsFailingNamesThemNotLambda() {
    Failed none =
        table.ownCredentials(
            SdkClientException.create("Unable to load credentials from any of the providers"));
    Failed unreachable =
        table.ownCredentials(
            SdkClientException.builder()
                .message("Failed to load credentials from IMDS.")
                .cause(new ConnectException("Connection refused"))
                .build());
    Failed refused = table.ownCredentials(stsError("InvalidIdentityToken", 400));

    assertThat(none.reason()).isEqualTo(ReadyReason.AccessDenied);
    assertThat(none.message()).startsWith("the operator found no AWS credentials");
    assertThat(unreachable.reason()).isEqualTo(ReadyReason.InvocationFailed);
    assertThat(unreachable.retry()).isEqualTo(RetryClass.BACKOFF);
    assertThat(unreachable.message())
        .startsWith("the operator could not get its own AWS credentials")
        .endsWith("cannot be reached (ConnectException)");
    assertThat(refused.reason()).isEqualTo(ReadyReason.AccessDenied);
    assertThat(refused.message()).contains("HTTP 400 InvalidIdentityToken");
    assertThat(List.of(none, unreachable, refused))
        .allSatisfy(f -> assertThat(f.message()).doesNotContain("Lambda"));
  }

  private static AwsServiceException stsError(String code, int status) {
    return software.amazon.awssdk.services.sts.model.StsException.builder()
        .statusCode(status)
        .awsErrorDetails(
            details(
                code,
                "User: arn:aws:iam::111111111111:user/operator is not authorized to perform:"
                    + " sts:AssumeRole",
                status))
        .build();
  }

  // --- never retried until the spec changes

  @Test
  void badRequestContentAndTooLargePayloadWaitForASpecChange() {
    AwsServiceException[] errors = {
      InvalidRequestContentException.builder()
          .statusCode(400)
          .awsErrorDetails(
              details(
                  "InvalidRequestContentException", "Could not parse request body into json", 400))
          .build(),
      RequestTooLargeException.builder()
          .statusCode(413)
          .awsErrorDetails(
              details(
                  "RequestTooLargeException", "Request must be smaller than 6291456 bytes", 413))
          .build(),
      LambdaException.builder()
          .statusCode(400)
          .awsErrorDetails(details("SomethingNewException", "Bad", 400))
          .build(),
    };

    for (AwsServiceException error : errors) {
      Failed failed = table.exception(LAMBDA, error);
      assertThat(failed.reason())
          .as(error.awsErrorDetails().errorCode())
          .isEqualTo(ReadyReason.InvocationFailed);
      assertThat(failed.retry())
          .as(error.awsErrorDetails().errorCode())
          .isEqualTo(RetryClass.ON_SPEC_CHANGE);
    }
  }

  // --- function errors

  @Test
  void unhandledFunctionErrorNamesTheKindAndErrorTypeOnly() {
    byte[] errorPayload =
        ("{\"errorMessage\":\"token sk-live-0123456789 rejected\","
                + "\"errorType\":\"InvalidKeyError\","
                + "\"stackTrace\":[\"at handler (/var/task/index.js:12:7)\"]}")
            .getBytes(StandardCharsets.UTF_8);

    Failed failed = table.functionError("Unhandled", errorPayload);

    assertThat(failed.reason()).isEqualTo(ReadyReason.FunctionError);
    assertThat(failed.retry()).isEqualTo(RetryClass.BACKOFF);
    assertThat(failed.message())
        .contains("Unhandled", "InvalidKeyError")
        .doesNotContain("sk-live", "rejected", "index.js", "handler", "stackTrace", "errorMessage");
  }

  @Test
  void handledFunctionErrorSaysHandled() {
    Failed failed =
        table.functionError(
            "Handled",
            "{\"errorType\":\"Error\",\"errorMessage\":\"secret\"}"
                .getBytes(StandardCharsets.UTF_8));

    assertThat(failed.message()).contains("Handled", "Error").doesNotContain("Unhandled", "secret");
  }

  @Test
  void functionErrorWithoutJsonOrWithAnOddErrorTypeReportsNoErrorType() {
    Failed notJson =
        table.functionError(
            "Unhandled", "Task timed out: sk-live-99".getBytes(StandardCharsets.UTF_8));
    Failed oddType =
        table.functionError(
            "Unhandled",
            "{\"errorType\":\"key sk-live-42 is bad\"}".getBytes(StandardCharsets.UTF_8));

    assertThat(notJson.message()).contains("Unhandled").doesNotContain("sk-live", "Task timed out");
    assertThat(oddType.message()).contains("Unhandled").doesNotContain("sk-live");
    assertThat(oddType.reason()).isEqualTo(ReadyReason.FunctionError);
  }

  @Test
  void unknownFunctionErrorKindIsReportedAsUnhandled() {
    Failed failed =
        table.functionError("sk-live-from-a-header", "{}".getBytes(StandardCharsets.UTF_8));

    assertThat(failed.message()).contains("Unhandled").doesNotContain("sk-live");
  }

  // --- AWS's message is shown only in a shape known to quote nothing that was sent

  /** What a request sent, as sentinels an echo would give away. */
  private static final String PAYLOAD_SECRET = "hunter2-payload-secret";

  private static final String SHORT_SECRET = "Qx7!";
  private static final String CONTEXT_SECRET = "cc-sentinel-77";
  private static final String CONTEXT_JSON = "{\"custom\":{\"token\":\"" + CONTEXT_SECRET + "\"}}";
  private static final String CONTEXT_BASE64 =
      Base64.getEncoder().encodeToString(CONTEXT_JSON.getBytes(StandardCharsets.UTF_8));

  @Test
  void awsMessageQuotingThePayloadShowsOnlyItsFixedStart() {
    Failed failed =
        table.exception(
            LAMBDA,
            error(
                "InvalidRequestContentException",
                400,
                "Could not parse request body into json: Could not parse payload into json:"
                    + " Unrecognized token '"
                    + PAYLOAD_SECRET
                    + "': was expecting ('true', 'false' or 'null')\n at [Source: (byte[])\""
                    + PAYLOAD_SECRET
                    + "\"; line: 1, column: 23]"));

    assertThat(failed.message())
        .isEqualTo(
            "Lambda rejected the request: fix spec.payload or spec.clientContext"
                + " (HTTP 400 InvalidRequestContentException):"
                + " Could not parse request body into json")
        .doesNotContain(PAYLOAD_SECRET, "Unrecognized token");
  }

  @Test
  void awsMessageQuotingAFourCharacterSecretIsWithheld() {
    Failed[] echoes = {
      table.exception(
            LAMBDA,
          error(
              "InvalidRequestContentException",
              400,
              "Could not parse request body into json: Unrecognized token '" + SHORT_SECRET + "'")),
      table.exception(
            LAMBDA,
          error(
              "ResourceConflictException",
              409,
              "The operation cannot be performed at this time. " + SHORT_SECRET)),
      table.exception(
            LAMBDA,
          error(
              "ResourceNotFoundException",
              404,
              "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:f ("
                  + SHORT_SECRET
                  + ")")),
      table.exception(
          LAMBDA, error("TooManyRequestsException", 429, "Rate exceeded: " + SHORT_SECRET)),
    };

    for (Failed failed : echoes) {
      assertThat(failed.message()).doesNotContain(SHORT_SECRET);
    }
    assertThat(echoes[1].message())
        .isEqualTo("the function is being created or updated (HTTP 409 ResourceConflictException)");
  }

  @Test
  void awsMessageQuotingTheClientContextIsWithheldRawOrDecoded() {
    Failed raw =
        table.exception(
            LAMBDA,
            error(
                "InvalidRequestContentException",
                400,
                "Client context must be a valid Base64-encoded JSON object: " + CONTEXT_BASE64));
    Failed decoded =
        table.exception(
            LAMBDA,
            error(
                "InvalidParameterValueException",
                400,
                "Invalid client context " + CONTEXT_JSON + ": 'custom.token' is not allowed"));

    assertThat(raw.message())
        .isEqualTo(
            "Lambda rejected the request: fix spec.payload or spec.clientContext"
                + " (HTTP 400 InvalidRequestContentException)");
    assertThat(decoded.message())
        .isEqualTo(
            "Lambda rejected a parameter: fix the spec (HTTP 400 InvalidParameterValueException)")
        .doesNotContain(CONTEXT_SECRET);
  }

  @Test
  void awsMessageOfAnUnknownShapeShowsTheErrorTypeAlone() {
    Failed unknownText =
        table.exception(LAMBDA, error("ResourceNotFoundException", 404, "Lambda says no"));
    Failed unknownCode =
        table.exception(LAMBDA, error("SomethingNewException", 400, "Rate exceeded"));
    Failed anotherCodesForm =
        table.exception(
            LAMBDA,
            error(
                "ServiceException",
                500,
                "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:f"));
    Failed tooLong =
        table.exception(
            LAMBDA,
            error(
                "ResourceNotFoundException",
                404,
                "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:f"
                    + " ".repeat(1_100)));

    assertThat(unknownText.message())
        .isEqualTo(
            "check spec.functionName, spec.qualifier and spec.region"
                + " (HTTP 404 ResourceNotFoundException)");
    assertThat(unknownCode.message()).endsWith("(HTTP 400 SomethingNewException)");
    assertThat(anotherCodesForm.message()).endsWith("(HTTP 500 ServiceException)");
    assertThat(tooLong.message()).endsWith("(HTTP 404 ResourceNotFoundException)");
  }

  static Stream<Arguments> messagesAwsReturns() {
    String function = "arn:aws:lambda:eu-west-1:123456789012:function:secret-generator";
    String role =
        "arn:aws:sts::123456789012:assumed-role/lambda-invocation-operator/botocore-session-1";
    String key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    return Stream.of(
        Arguments.of("ResourceNotFoundException", 404, "Function not found: " + function),
        Arguments.of(
            "ResourceNotFoundException",
            404,
            "Function not found:"
                + " arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:$LATEST"),
        Arguments.of(
            "AccessDeniedException",
            403,
            "User: "
                + role
                + " is not authorized to perform: lambda:InvokeFunction on resource: "
                + function
                + ":production because no identity-based policy allows the lambda:InvokeFunction"
                + " action"),
        Arguments.of(
            "AccessDeniedException",
            403,
            "User: "
                + role
                + " is not authorized to perform: lambda:InvokeFunction on resource: "
                + function
                + " with an explicit deny in a service control policy"),
        Arguments.of("TooManyRequestsException", 429, "Rate Exceeded."),
        Arguments.of("TooManyRequestsException", 429, "Rate exceeded"),
        Arguments.of(
            "KMSAccessDeniedException",
            502,
            "Lambda was unable to decrypt the environment variables because KMS access was"
                + " denied. Please check the function's KMS key settings. KMS Exception:"
                + " UnrecognizedClientExceptionKMS Message: The security token included in the"
                + " request is invalid."),
        Arguments.of(
            "KMSAccessDeniedException",
            502,
            "Lambda was unable to decrypt the environment variables because KMS access was"
                + " denied. Please check the function's KMS key settings. KMS Exception:"
                + " AccessDeniedExceptionKMS Message: User: "
                + role
                + " is not authorized to perform: kms:Decrypt on resource: "
                + key
                + " because no resource-based policy allows the kms:Decrypt action"),
        Arguments.of(
            "KMSDisabledException",
            502,
            "Lambda was unable to decrypt the environment variables because the KMS key used is"
                + " disabled. Please check the function's KMS key settings."),
        Arguments.of(
            "ResourceConflictException",
            409,
            "The operation cannot be performed at this time. The function is currently in the"
                + " following state: Pending"),
        Arguments.of(
            "ResourceConflictException",
            409,
            "The operation cannot be performed at this time. An update is in progress for"
                + " resource: "
                + function),
        Arguments.of(
            "ServiceException", 500, "The AWS Lambda service encountered an internal error."),
        Arguments.of(
            "RequestTooLargeException",
            413,
            "Request must be smaller than 6291456 bytes for the InvokeFunction operation"),
        Arguments.of(
            "InvalidRequestContentException",
            400,
            "Client context must be a valid Base64-encoded JSON object."),
        Arguments.of(
            "InvalidParameterValueException",
            400,
            "The derived qualifier from the function name does not match the specified"
                + " qualifier."),
        Arguments.of(
            "UnrecognizedClientException",
            403,
            "The security token included in the request is invalid."),
        Arguments.of(
            "ExpiredTokenException", 403, "The security token included in the request is expired"),
        Arguments.of(
            "InvalidSignatureException",
            403,
            "Signature expired: 20261126T100000Z is now earlier than 20261126T100500Z"
                + " (20261126T101000Z - 5 min.)"));
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("messagesAwsReturns")
  void awsMessageOfAKnownSafeFormIsShown(String code, int status, String message) {
    Failed failed = table.exception(LAMBDA, error(code, status, message));

    assertThat(failed.message()).endsWith("(HTTP " + status + " " + code + "): " + message);
  }

  @Test
  void sdkClientMessageIsNeverShown() {
    Failed failed =
        table.exception(
            LAMBDA,
            SdkClientException.builder()
                .message("Unable to marshall request: hunter2-payload-secret")
                .build());

    assertThat(failed.message()).doesNotContain("hunter2");
    assertThat(failed.retry()).isEqualTo(RetryClass.BACKOFF);
  }

  // --- Lambda's own infrastructure errors and broken function configuration

  @Test
  void transientEfsAndSnapStartErrorsAreRetriedWithBackoff() {
    AwsServiceException[] errors = {
      lambdaError("EFSMountConnectivityException", 408),
      lambdaError("EFSMountTimeoutException", 408),
      lambdaError("SnapStartTimeoutException", 408),
      lambdaError("EFSIOException", 410),
    };

    for (AwsServiceException error : errors) {
      String code = error.awsErrorDetails().errorCode();
      Failed failed = table.exception(LAMBDA, error);

      assertThat(failed.reason()).as(code).isEqualTo(ReadyReason.InvocationFailed);
      assertThat(failed.retry()).as(code).isEqualTo(RetryClass.BACKOFF);
      assertThat(failed.message()).as(code).contains(code);
    }
  }

  @Test
  void brokenFunctionConfigurationIsRetriedSlowly() {
    AwsServiceException[] errors = {
      lambdaError("InvalidRuntimeException", 502),
      lambdaError("InvalidSubnetIDException", 502),
      lambdaError("EC2AccessDeniedException", 502),
      lambdaError("EFSMountFailureException", 403),
    };

    for (AwsServiceException error : errors) {
      String code = error.awsErrorDetails().errorCode();
      Failed failed = table.exception(LAMBDA, error);

      assertThat(failed.reason()).as(code).isEqualTo(ReadyReason.InvocationFailed);
      assertThat(failed.retry()).as(code).isEqualTo(RetryClass.SLOW);
      assertThat(failed.message()).as(code).contains(code);
    }
  }

  @Test
  void unknownTimeoutOrGoneCodeIsRetriedWithBackoff() {
    for (int status : new int[] {408, 410}) {
      Failed failed = table.exception(LAMBDA, lambdaError("SomethingNewException", status));

      assertThat(failed.reason()).as("HTTP %d", status).isEqualTo(ReadyReason.InvocationFailed);
      assertThat(failed.retry()).as("HTTP %d", status).isEqualTo(RetryClass.BACKOFF);
    }
  }

  @Test
  void unknownBadRequestCodeWaitsForASpecChange() {
    Failed failed = table.exception(LAMBDA, lambdaError("SomethingNewException", 400));

    assertThat(failed.reason()).isEqualTo(ReadyReason.InvocationFailed);
    assertThat(failed.retry()).isEqualTo(RetryClass.ON_SPEC_CHANGE);
  }

  private static AwsServiceException error(String code, int status, String message) {
    return LambdaException.builder()
        .statusCode(status)
        .awsErrorDetails(details(code, message, status))
        .build();
  }

  private static AwsServiceException lambdaError(String code, int status) {
    return LambdaException.builder()
        .statusCode(status)
        .awsErrorDetails(details(code, "Lambda says no", status))
        .build();
  }

  private static AwsErrorDetails details(String code, String message, int status) {
    return AwsErrorDetails.builder()
        .errorCode(code)
        .errorMessage(message)
        .sdkHttpResponse(SdkHttpResponse.builder().statusCode(status).build())
        .build();
  }
}
