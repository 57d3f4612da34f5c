package dev.ephemeral.lambda.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult.Failed;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
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

  private static final byte[] PAYLOAD =
      "{\"service\":\"api\",\"seed\":\"hunter2-payload-secret\"}".getBytes(StandardCharsets.UTF_8);

  private final InvokeErrorTable table = new InvokeErrorTable(new ObjectMapper());

  // --- retried slowly: the fix lies outside the resource

  @Test
  void functionNotFoundIsRetriedSlowly() {
    Failed failed =
        table.exception(
            ResourceNotFoundException.builder()
                .statusCode(404)
                .awsErrorDetails(
                    details(
                        "ResourceNotFoundException",
                        "Function not found:"
                            + " arn:aws:lambda:eu-west-1:123456789012:function:secret-generator",
                        404))
                .build(),
            PAYLOAD);

    assertThat(failed.reason()).isEqualTo(ReadyReason.FunctionNotFound);
    assertThat(failed.retry()).isEqualTo(RetryClass.SLOW);
    assertThat(failed.message())
        .contains("spec.functionName", "404", "Function not found: arn:aws:lambda");
  }

  @Test
  void accessDeniedIsRetriedSlowly() {
    Failed failed =
        table.exception(
            LambdaException.builder()
                .statusCode(403)
                .awsErrorDetails(details("AccessDeniedException", "User is not authorized", 403))
                .build(),
            PAYLOAD);

    assertThat(failed.reason()).isEqualTo(ReadyReason.AccessDenied);
    assertThat(failed.retry()).isEqualTo(RetryClass.SLOW);
    assertThat(failed.message()).contains("lambda:InvokeFunction");
  }

  @Test
  void kmsAccessDeniedIsRetriedSlowlyAndSaysHowToFixIt() {
    Failed failed =
        table.exception(
            KmsAccessDeniedException.builder()
                .statusCode(502)
                .awsErrorDetails(
                    details(
                        "KMSAccessDeniedException",
                        "Lambda was unable to decrypt the environment variables because KMS access"
                            + " was denied.",
                        502))
                .build(),
            PAYLOAD);

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
                .build(),
            PAYLOAD);

    assertThat(failed.reason()).isEqualTo(ReadyReason.Throttled);
    assertThat(failed.retry()).isEqualTo(RetryClass.BACKOFF);
    assertThat(failed.retryAfter()).contains(Duration.ofSeconds(7));
  }

  @Test
  void retryAfterIsTakenFromTheModelledMember() {
    Failed failed =
        table.exception(
            TooManyRequestsException.builder()
                .statusCode(429)
                .retryAfterSeconds("12")
                .awsErrorDetails(details("TooManyRequestsException", "Rate Exceeded.", 429))
                .build(),
            PAYLOAD);

    assertThat(failed.retryAfter()).contains(Duration.ofSeconds(12));
  }

  @Test
  void throttlingWithoutUsableRetryAfterHasNone() {
    Failed absent =
        table.exception(
            TooManyRequestsException.builder()
                .statusCode(429)
                .awsErrorDetails(details("TooManyRequestsException", "Rate Exceeded.", 429))
                .build(),
            PAYLOAD);
    Failed garbled =
        table.exception(
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
                .build(),
            PAYLOAD);

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
      Failed failed = table.exception(error, PAYLOAD);
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
      Failed failed = table.exception(timeout, PAYLOAD);

      assertThat(failed.reason()).isEqualTo(ReadyReason.InvocationTimeout);
      assertThat(failed.retry()).isEqualTo(RetryClass.BACKOFF);
    }
  }

  @Test
  void connectionFailureIsRetriedWithBackoff() {
    Failed failed =
        table.exception(
            SdkClientException.builder()
                .message("Unable to execute HTTP request: Connection refused")
                .cause(new ConnectException("Connection refused"))
                .build(),
            PAYLOAD);

    assertThat(failed.reason()).isEqualTo(ReadyReason.InvocationFailed);
    assertThat(failed.retry()).isEqualTo(RetryClass.BACKOFF);
    assertThat(failed.message()).contains("ConnectException");
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
      Failed failed = table.exception(error, PAYLOAD);
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

  // --- AWS's message is shown only when it quotes nothing that was sent

  @Test
  void awsMessageQuotingThePayloadIsWithheld() {
    Failed failed =
        table.exception(
            InvalidRequestContentException.builder()
                .statusCode(400)
                .awsErrorDetails(
                    details(
                        "InvalidRequestContentException",
                        "Could not parse request body into json: Unrecognized token"
                            + " 'hunter2-payload-secret': was expecting 'null', 'true', 'false' or"
                            + " NaN",
                        400))
                .build(),
            PAYLOAD);

    assertThat(failed.message())
        .contains("InvalidRequestContentException", "spec.payload")
        .doesNotContain("hunter2", "payload-secret", "Unrecognized token");
  }

  @Test
  void vettedKeepsAMessageThatQuotesNothingSent() {
    assertThat(
            InvokeErrorTable.vetted(
                "Function not found: arn:aws:lambda:eu-west-1:1:function:f", PAYLOAD))
        .isEqualTo("Function not found: arn:aws:lambda:eu-west-1:1:function:f");
  }

  @Test
  void vettedWithholdsAnyEightCharacterEchoOfThePayload() {
    assertThat(InvokeErrorTable.vetted("bad value 'r2-paylo' here", PAYLOAD)).isNull();
  }

  @Test
  void vettedShortensLongMessages() {
    String vetted = InvokeErrorTable.vetted("x".repeat(1_000), PAYLOAD);

    assertThat(vetted).hasSize(303).endsWith("...");
  }

  @Test
  void vettedWithholdsEverythingWhenThePayloadIsTooLargeToSearch() {
    byte[] large = new byte[64 * 1024 + 1];

    assertThat(InvokeErrorTable.vetted("Function not found", large)).isNull();
    assertThat(InvokeErrorTable.vetted(null, PAYLOAD)).isNull();
    assertThat(InvokeErrorTable.vetted("  ", PAYLOAD)).isNull();
  }

  @Test
  void sdkClientMessageIsNeverShown() {
    Failed failed =
        table.exception(
            SdkClientException.builder()
                .message("Unable to marshall request: hunter2-payload-secret")
                .build(),
            PAYLOAD);

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
      Failed failed = table.exception(error, PAYLOAD);

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
      Failed failed = table.exception(error, PAYLOAD);

      assertThat(failed.reason()).as(code).isEqualTo(ReadyReason.InvocationFailed);
      assertThat(failed.retry()).as(code).isEqualTo(RetryClass.SLOW);
      assertThat(failed.message()).as(code).contains(code);
    }
  }

  @Test
  void unknownTimeoutOrGoneCodeIsRetriedWithBackoff() {
    for (int status : new int[] {408, 410}) {
      Failed failed = table.exception(lambdaError("SomethingNewException", status), PAYLOAD);

      assertThat(failed.reason()).as("HTTP %d", status).isEqualTo(ReadyReason.InvocationFailed);
      assertThat(failed.retry()).as("HTTP %d", status).isEqualTo(RetryClass.BACKOFF);
    }
  }

  @Test
  void unknownBadRequestCodeWaitsForASpecChange() {
    Failed failed = table.exception(lambdaError("SomethingNewException", 400), PAYLOAD);

    assertThat(failed.reason()).isEqualTo(ReadyReason.InvocationFailed);
    assertThat(failed.retry()).isEqualTo(RetryClass.ON_SPEC_CHANGE);
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
