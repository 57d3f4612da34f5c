package dev.ephemeral.lambda.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvalidRequestContentException;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.KmsAccessDeniedException;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.RequestTooLargeException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.ResourceNotReadyException;
import software.amazon.awssdk.services.lambda.model.ServiceException;
import software.amazon.awssdk.services.lambda.model.ThrottleReason;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

class LambdaEmulatorTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private LambdaEmulator emulator;
  private LambdaClient lambda;

  @BeforeEach
  void start() {
    emulator = LambdaEmulator.start("127.0.0.1", 0);
    lambda = client(o -> {});
  }

  @AfterEach
  void stop() {
    lambda.close();
    emulator.close();
  }

  private LambdaClient client(Consumer<ClientOverrideConfiguration.Builder> extra) {
    return LambdaClient.builder()
        .endpointOverride(emulator.endpoint())
        .region(Region.EU_WEST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
        .httpClient(Apache5HttpClient.create())
        .overrideConfiguration(
            o -> {
              o.retryStrategy(AwsRetryStrategy.doNotRetry());
              extra.accept(o);
            })
        .build();
  }

  private InvokeResponse invoke(
      String functionName, String payload, Consumer<InvokeRequest.Builder> extra) {
    InvokeRequest.Builder request =
        InvokeRequest.builder()
            .functionName(functionName)
            .payload(SdkBytes.fromUtf8String(payload));
    extra.accept(request);
    return lambda.invoke(request.build());
  }

  private InvokeResponse invoke(String functionName, String payload) {
    return invoke(functionName, payload, r -> {});
  }

  private static JsonNode json(InvokeResponse response) throws Exception {
    return JSON.readTree(response.payload().asByteArray());
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  private static FunctionOutcome echo(FunctionCall call) {
    return FunctionOutcome.result(call.payload());
  }

  @Test
  void recordsTheSignedRequestAndHandsTheFunctionWhatWasSent() throws Exception {
    AtomicReference<FunctionCall> seen = new AtomicReference<>();
    emulator
        .function(
            "echo",
            call -> {
              seen.set(call);
              return echo(call);
            })
        .version("echo", "1");
    String clientContext = "{\"source\":\"k8s\"}";

    InvokeResponse response =
        invoke(
            "echo",
            "{\"a\":1}",
            r ->
                r.qualifier("1")
                    .invocationType(InvocationType.REQUEST_RESPONSE)
                    .clientContext(base64(clientContext)));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.payload().asUtf8String()).isEqualTo("{\"a\":1}");
    assertThat(response.executedVersion()).isEqualTo("1");
    assertThat(response.functionError()).isNull();
    assertThat(response.logResult()).isNull();
    assertThat(response.sdkHttpResponse().firstMatchingHeader("Content-Type"))
        .hasValue("application/json");
    assertThat(response.responseMetadata().requestId()).matches("[0-9a-f-]{36}");

    assertThat(emulator.invocations())
        .singleElement()
        .satisfies(
            recorded -> {
              assertThat(recorded.method()).isEqualTo("POST");
              assertThat(recorded.rawPath()).isEqualTo("/2015-03-31/functions/echo/invocations");
              assertThat(recorded.functionName()).isEqualTo("echo");
              assertThat(recorded.qualifier()).isEqualTo("1");
              assertThat(recorded.body()).asString(StandardCharsets.UTF_8).isEqualTo("{\"a\":1}");
              assertThat(recorded.header("X-Amz-Invocation-Type")).isEqualTo("RequestResponse");
              assertThat(recorded.header("x-amz-client-context")).isEqualTo(base64(clientContext));
              assertThat(recorded.headers())
                  .containsKey("x-amz-date")
                  .allSatisfy((name, values) -> assertThat(name).isLowerCase());
              assertThat(recorded.signedWithSigV4()).isTrue();
              assertThat(recorded.header("Authorization"))
                  .contains("Credential=AKIDTEST/")
                  .contains("/eu-west-1/lambda/aws4_request");
              assertThat(recorded.receivedAt()).isBeforeOrEqualTo(Instant.now());
            });
    assertThat(seen.get().functionName()).isEqualTo("echo");
    assertThat(seen.get().qualifier()).isEqualTo("1");
    assertThat(seen.get().executedVersion()).isEqualTo("1");
    assertThat(seen.get().clientContextJson()).isEqualTo(clientContext);
    assertThat(seen.get().tailLog()).isFalse();
  }

  @Test
  void unqualifiedInvocationRunsLatestAndEmptyPayloadArrivesAsEmptyObject() {
    AtomicReference<FunctionCall> seen = new AtomicReference<>();
    emulator.function(
        "echo",
        call -> {
          seen.set(call);
          return echo(call);
        });

    InvokeResponse response = lambda.invoke(InvokeRequest.builder().functionName("echo").build());

    assertThat(response.executedVersion()).isEqualTo("$LATEST");
    assertThat(seen.get().qualifier()).isNull();
    assertThat(seen.get().clientContextJson()).isNull();
    assertThat(seen.get().payload()).asString(StandardCharsets.UTF_8).isEqualTo("{}");
    assertThat(emulator.invocations().get(0).qualifier()).isNull();
  }

  @Test
  void aliasRunsTheVersionItPointsTo() {
    AtomicReference<String> executed = new AtomicReference<>();
    emulator
        .function(
            "fn",
            call -> {
              executed.set(call.executedVersion());
              return FunctionOutcome.json(call.executedVersion());
            })
        .version("fn", "1")
        .version("fn", "3")
        .alias("fn", "production", "3");

    InvokeResponse response = invoke("fn", "{}", r -> r.qualifier("production"));

    assertThat(response.executedVersion()).isEqualTo("3");
    assertThat(executed.get()).isEqualTo("3");
    assertThat(response.payload().asUtf8String()).isEqualTo("\"3\"");
    assertThat(emulator.invocations().get(0).qualifier()).isEqualTo("production");
  }

  @Test
  void tailReturnsLambdasLogAroundTheFunctionsLinesForEveryCall() {
    emulator
        .function("quiet", LambdaEmulatorTest::echo)
        .version("quiet", "1")
        .function(
            "chatty",
            call ->
                FunctionOutcome.result(
                    "{}".getBytes(StandardCharsets.UTF_8), "hello\n[INFO] done\n"))
        .function(
            "boom",
            call ->
                FunctionOutcome.functionError(
                    "Unhandled", "ValueError", "bad input", "[ERROR] ValueError\n"));

    InvokeResponse quiet = invoke("quiet", "{}", r -> r.logType(LogType.TAIL).qualifier("1"));
    InvokeResponse chatty = invoke("chatty", "{}", r -> r.logType(LogType.TAIL));
    InvokeResponse boom = invoke("boom", "{}", r -> r.logType(LogType.TAIL));

    String requestId = quiet.responseMetadata().requestId();
    assertThat(decode(quiet.logResult()))
        .matches(
            "START RequestId: "
                + requestId
                + " Version: 1\n"
                + "END RequestId: "
                + requestId
                + "\n"
                + "REPORT RequestId: "
                + requestId
                + "\tDuration: [0-9]+\\.[0-9]{2} ms\tBilled Duration: [0-9]+ ms"
                + "\tMemory Size: 128 MB\tMax Memory Used: [0-9]+ MB\t\n");
    String chattyId = chatty.responseMetadata().requestId();
    assertThat(decode(chatty.logResult()))
        .startsWith(
            "START RequestId: "
                + chattyId
                + " Version: $LATEST\nhello\n[INFO] done\nEND RequestId: "
                + chattyId
                + "\nREPORT RequestId: "
                + chattyId
                + "\tDuration: ");
    assertThat(boom.functionError()).isEqualTo("Unhandled");
    assertThat(decode(boom.logResult()))
        .contains("Version: $LATEST\n[ERROR] ValueError\nEND RequestId: ")
        .contains("REPORT RequestId: " + boom.responseMetadata().requestId());
  }

  @Test
  void tailReturnsTheLastFourKilobytesOfTheLog() {
    String lines = "x".repeat(3000) + "\n" + "y".repeat(4000) + "\n";
    AtomicReference<Boolean> tail = new AtomicReference<>();
    emulator.function(
        "logs",
        call -> {
          tail.set(call.tailLog());
          return FunctionOutcome.result("{}".getBytes(StandardCharsets.UTF_8), lines);
        });

    InvokeResponse tailed = invoke("logs", "{}", r -> r.logType(LogType.TAIL));

    assertThat(tail.get()).isTrue();
    String decoded = decode(tailed.logResult());
    assertThat(decoded.getBytes(StandardCharsets.UTF_8)).hasSize(InvokeRoute.MAX_LOG_TAIL);
    // The end of the log: the function's last lines, then END and REPORT; START is cut off.
    assertThat(decoded)
        .doesNotContain("START RequestId")
        .doesNotContain("xx")
        .startsWith("yyy")
        .contains("y\nEND RequestId: " + tailed.responseMetadata().requestId() + "\nREPORT ")
        .endsWith(" MB\t\n");
  }

  @Test
  void aLogTheFunctionWroteWholeIsReturnedAsWritten() {
    String log = "START RequestId: 1 Version: $LATEST\nhello\nEND RequestId: 1\n";
    emulator.function(
        "pinned", call -> FunctionOutcome.result("{}".getBytes(StandardCharsets.UTF_8), log));

    assertThat(decode(invoke("pinned", "{}", r -> r.logType(LogType.TAIL)).logResult()))
        .isEqualTo(log);
  }

  @Test
  void withoutTailThereIsNoLogResult() {
    emulator.function(
        "logs", call -> FunctionOutcome.result("{}".getBytes(StandardCharsets.UTF_8), "a line\n"));
    emulator.function(
        "fails", call -> FunctionOutcome.functionError("Unhandled", "E", "m", "a line\n"));

    for (InvokeResponse response :
        new InvokeResponse[] {
          invoke("logs", "{}"),
          invoke("logs", "{}", r -> r.logType(LogType.NONE)),
          invoke("fails", "{}", r -> r.logType(LogType.NONE))
        }) {
      assertThat(response.logResult()).isNull();
      assertThat(response.sdkHttpResponse().firstMatchingHeader("X-Amz-Log-Result")).isEmpty();
    }
    assertThat(emulator.invocations())
        .extracting(i -> i.header("x-amz-log-type"))
        .containsExactly(null, "None", "None");
  }

  @Test
  void unhandledFunctionErrorIsAPayloadWithTheErrorHeader() throws Exception {
    emulator.function(
        "boom",
        call ->
            FunctionOutcome.functionError(
                "Unhandled", "ValueError", "bad input", "START\n[ERROR] ValueError\nEND\n"));

    InvokeResponse response = invoke("boom", "{}", r -> r.logType(LogType.TAIL));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.functionError()).isEqualTo("Unhandled");
    assertThat(response.executedVersion()).isEqualTo("$LATEST");
    JsonNode body = json(response);
    assertThat(body.path("errorMessage").asText()).isEqualTo("bad input");
    assertThat(body.path("errorType").asText()).isEqualTo("ValueError");
    assertThat(body.path("stackTrace").isArray()).isTrue();
    assertThat(body.path("requestId").asText()).isEqualTo(response.responseMetadata().requestId());
    assertThat(decode(response.logResult())).contains("\nSTART\n[ERROR] ValueError\nEND\n");
  }

  @Test
  void handledFunctionErrorIsReportedAsHandled() throws Exception {
    emulator.function(
        "handled", call -> FunctionOutcome.functionError("Handled", "Error", "nope", null));

    InvokeResponse response = invoke("handled", "{}");

    assertThat(response.functionError()).isEqualTo("Handled");
    assertThat(json(response).path("errorType").asText()).isEqualTo("Error");
    assertThat(json(response).has("requestId")).isFalse();
  }

  @Test
  void responseOverTheLambdaLimitBecomesAFunctionError() throws Exception {
    emulator.function(
        "huge", call -> FunctionOutcome.result(new byte[InvokeRoute.MAX_RESPONSE_PAYLOAD + 1]));

    InvokeResponse response = invoke("huge", "{}");

    assertThat(response.functionError()).isEqualTo("Unhandled");
    assertThat(json(response).path("errorType").asText())
        .isEqualTo("Function.ResponseSizeTooLarge");
  }

  static Stream<Arguments> apiErrors() {
    return Stream.of(
        Arguments.of(404, "ResourceNotFoundException", ResourceNotFoundException.class),
        Arguments.of(429, "TooManyRequestsException", TooManyRequestsException.class),
        Arguments.of(409, "ResourceConflictException", ResourceConflictException.class),
        Arguments.of(502, "ResourceNotReadyException", ResourceNotReadyException.class),
        Arguments.of(502, "KMSAccessDeniedException", KmsAccessDeniedException.class),
        Arguments.of(400, "InvalidRequestContentException", InvalidRequestContentException.class),
        Arguments.of(413, "RequestTooLargeException", RequestTooLargeException.class),
        Arguments.of(500, "ServiceException", ServiceException.class),
        Arguments.of(403, "AccessDeniedException", LambdaException.class));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("apiErrors")
  void apiErrorSurfacesAsTheMatchingSdkException(
      int status, String errorType, Class<? extends LambdaException> expected) {
    emulator.function(
        "fails", call -> FunctionOutcome.apiError(status, errorType, "it went wrong"));

    assertThatExceptionOfType(expected)
        .isThrownBy(() -> invoke("fails", "{}"))
        .satisfies(
            e -> {
              assertThat(e).isExactlyInstanceOf(expected);
              assertThat(e.statusCode()).isEqualTo(status);
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo(errorType);
              assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("it went wrong");
              assertThat(e.requestId()).isNotBlank();
            });
    assertThat(emulator.invocationCount("fails")).isEqualTo(1);
  }

  @Test
  void throttlingCarriesRetryAfterAndReason() {
    emulator.function(
        "busy",
        call -> FunctionOutcome.apiError(429, "TooManyRequestsException", "Rate Exceeded.", 7));

    assertThatExceptionOfType(TooManyRequestsException.class)
        .isThrownBy(() -> invoke("busy", "{}"))
        .satisfies(
            e -> {
              assertThat(e.retryAfterSeconds()).isEqualTo("7");
              assertThat(e.reason()).isEqualTo(ThrottleReason.CONCURRENT_INVOCATION_LIMIT_EXCEEDED);
              assertThat(e.type()).isEqualTo("User");
              assertThat(e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Retry-After"))
                  .hasValue("7");
            });
  }

  @Test
  void accessDeniedIsAGenericLambdaExceptionWithItsErrorCode() {
    emulator.function(
        "denied",
        call ->
            FunctionOutcome.apiError(
                403,
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform:"
                    + " lambda:InvokeFunction"));

    assertThatExceptionOfType(LambdaException.class)
        .isThrownBy(() -> invoke("denied", "{}"))
        .satisfies(
            e -> {
              assertThat(e.getClass()).isEqualTo(LambdaException.class);
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
              assertThat(e.awsErrorDetails().errorMessage()).startsWith("User: arn:aws:iam::");
              assertThat(e.statusCode()).isEqualTo(403);
            });
  }

  static Stream<Arguments> functionReferences() {
    return Stream.of(
        Arguments.of("fn", null, "$LATEST"),
        Arguments.of("fn:prod", "prod", "2"),
        Arguments.of("fn:1", "1", "1"),
        Arguments.of("fn:$LATEST", "$LATEST", "$LATEST"),
        Arguments.of("123456789012:function:fn", null, "$LATEST"),
        Arguments.of("123456789012:function:fn:2", "2", "2"),
        Arguments.of("arn:aws:lambda:eu-west-1:123456789012:function:fn", null, "$LATEST"),
        Arguments.of("arn:aws:lambda:eu-west-1:123456789012:function:fn:prod", "prod", "2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("functionReferences")
  void everyFunctionReferenceFormResolvesToTheFunction(
      String reference, String qualifier, String version) {
    emulator
        .function("fn", LambdaEmulatorTest::echo)
        .version("fn", "1")
        .version("fn", "2")
        .alias("fn", "prod", "2");

    InvokeResponse response = invoke(reference, "{}");

    assertThat(response.executedVersion()).isEqualTo(version);
    assertThat(emulator.invocations())
        .singleElement()
        .satisfies(
            recorded -> {
              assertThat(recorded.functionName()).isEqualTo("fn");
              assertThat(recorded.qualifier()).isEqualTo(qualifier);
            });
    assertThat(emulator.invocationCount("fn")).isEqualTo(1);
  }

  @Test
  void qualifierParameterMustAgreeWithTheQualifierInTheName() {
    emulator.function("fn", LambdaEmulatorTest::echo).version("fn", "1").version("fn", "2");

    assertThat(invoke("fn:1", "{}", r -> r.qualifier("1")).executedVersion()).isEqualTo("1");
    assertThatExceptionOfType(InvalidParameterValueException.class)
        .isThrownBy(() -> invoke("fn:1", "{}", r -> r.qualifier("2")))
        .satisfies(e -> assertThat(e.statusCode()).isEqualTo(400));
  }

  @Test
  void unknownAliasIsNotFoundNamingTheQualifiedArn() {
    emulator.function("fn", LambdaEmulatorTest::echo);

    assertThatExceptionOfType(ResourceNotFoundException.class)
        .isThrownBy(() -> invoke("fn", "{}", r -> r.qualifier("staging")))
        .satisfies(
            e -> {
              assertThat(e.statusCode()).isEqualTo(404);
              assertThat(e.awsErrorDetails().errorMessage())
                  .isEqualTo(
                      "Function not found:"
                          + " arn:aws:lambda:eu-west-1:123456789012:function:fn:staging");
            });
    assertThat(emulator.invocationCount("fn")).isEqualTo(1);
  }

  @Test
  void unknownFunctionIsNotFoundNamingItsArn() {
    assertThatExceptionOfType(ResourceNotFoundException.class)
        .isThrownBy(() -> invoke("arn:aws:lambda:us-west-2:210987654321:function:ghost", "{}"))
        .satisfies(
            e ->
                assertThat(e.awsErrorDetails().errorMessage())
                    .isEqualTo(
                        "Function not found:"
                            + " arn:aws:lambda:us-west-2:210987654321:function:ghost"));
    assertThat(emulator.invocationCount("ghost")).isEqualTo(1);
  }

  @Test
  void malformedFunctionNameIsAValidationError() {
    assertThatExceptionOfType(LambdaException.class)
        .isThrownBy(() -> invoke("not a name!", "{}"))
        .satisfies(
            e -> {
              assertThat(e.statusCode()).isEqualTo(400);
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            });
    assertThat(emulator.invocations())
        .singleElement()
        .satisfies(recorded -> assertThat(recorded.functionName()).isEqualTo("not a name!"));
  }

  @Test
  void clientContextThatIsNotBase64JsonIsInvalidRequestContent() {
    AtomicInteger calls = new AtomicInteger();
    emulator.function(
        "fn",
        call -> {
          calls.incrementAndGet();
          return echo(call);
        });

    for (String clientContext : new String[] {"not base64!", base64("not json"), base64("[1,2]")}) {
      assertThatExceptionOfType(InvalidRequestContentException.class)
          .isThrownBy(() -> invoke("fn", "{}", r -> r.clientContext(clientContext)))
          .satisfies(e -> assertThat(e.statusCode()).isEqualTo(400));
    }
    assertThat(calls).hasValue(0);
    assertThat(emulator.invocationCount("fn")).isEqualTo(3);
  }

  @Test
  void payloadThatIsNotJsonIsInvalidRequestContent() {
    emulator.function("fn", LambdaEmulatorTest::echo);

    assertThatExceptionOfType(InvalidRequestContentException.class)
        .isThrownBy(() -> invoke("fn", "hello"))
        .satisfies(
            e ->
                assertThat(e.awsErrorDetails().errorMessage())
                    .startsWith("Could not parse request body into json"));
  }

  @Test
  void payloadOverTheSynchronousLimitIsRequestTooLarge() {
    emulator.function("fn", LambdaEmulatorTest::echo);
    String payload = "\"" + "a".repeat(InvokeRoute.MAX_SYNC_PAYLOAD) + "\"";

    assertThatExceptionOfType(RequestTooLargeException.class)
        .isThrownBy(() -> invoke("fn", payload))
        .satisfies(e -> assertThat(e.statusCode()).isEqualTo(413));
  }

  @Test
  void invalidLogTypeIsAValidationError() {
    emulator.function("fn", LambdaEmulatorTest::echo);

    assertThatExceptionOfType(LambdaException.class)
        .isThrownBy(() -> invoke("fn", "{}", r -> r.logType("Verbose")))
        .satisfies(
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
  }

  @Test
  void functionThatThrowsIsAServiceException() {
    emulator.function(
        "buggy",
        call -> {
          throw new IllegalStateException("bug");
        });

    assertThatExceptionOfType(ServiceException.class)
        .isThrownBy(() -> invoke("buggy", "{}"))
        .satisfies(e -> assertThat(e.statusCode()).isEqualTo(500));
  }

  @Test
  void eventIsAcceptedAndDryRunDoesNotRunTheFunction() {
    AtomicInteger calls = new AtomicInteger();
    emulator.function(
        "fn",
        call -> {
          calls.incrementAndGet();
          return echo(call);
        });

    assertThat(invoke("fn", "{}", r -> r.invocationType(InvocationType.EVENT)).statusCode())
        .isEqualTo(202);
    assertThat(invoke("fn", "{}", r -> r.invocationType(InvocationType.DRY_RUN)).statusCode())
        .isEqualTo(204);
    assertThat(calls).hasValue(1);
    assertThat(emulator.invocationCount("fn")).isEqualTo(2);
  }

  @Test
  void delayedAnswerTimesOutTheClientWithoutBlockingOtherRequests() {
    emulator
        .function(
            "slow",
            call -> FunctionOutcome.delay(Duration.ofSeconds(5), FunctionOutcome.json("late")))
        .function("fast", LambdaEmulatorTest::echo);
    try (LambdaClient impatient = client(o -> o.apiCallAttemptTimeout(Duration.ofMillis(300)))) {
      CompletableFuture<InvokeResponse> slow =
          CompletableFuture.supplyAsync(
              () ->
                  impatient.invoke(
                      InvokeRequest.builder()
                          .functionName("slow")
                          .payload(SdkBytes.fromUtf8String("{}"))
                          .build()));
      await().atMost(Duration.ofSeconds(2)).until(() -> emulator.invocationCount("slow") == 1);

      assertThat(invoke("fast", "{\"b\":2}").payload().asUtf8String()).isEqualTo("{\"b\":2}");

      assertThatExceptionOfType(Exception.class)
          .isThrownBy(slow::join)
          .havingRootCause()
          .isInstanceOf(SdkClientException.class);
    }
  }

  @Test
  void otherRoutesAreUnknownOperationsAndNotRecorded() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (HttpRequest request :
        new HttpRequest[] {
          HttpRequest.newBuilder(emulator.endpoint().resolve("/2015-03-31/functions"))
              .GET()
              .build(),
          HttpRequest.newBuilder(
                  emulator.endpoint().resolve("/2015-03-31/functions/fn/invocations"))
              .GET()
              .build()
        }) {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(404);
      assertThat(response.headers().firstValue("x-amzn-ErrorType"))
          .hasValue("UnknownOperationException");
      assertThat(JSON.readTree(response.body()).path("message").asText()).isNotBlank();
    }
    assertThat(emulator.invocations()).isEmpty();
  }

  @Test
  void invocationsCanBeCountedAndCleared() {
    emulator.function("a", LambdaEmulatorTest::echo).function("b", LambdaEmulatorTest::echo);
    invoke("a", "{}");
    invoke("a", "{}");
    invoke("b", "{}");

    assertThat(emulator.invocationCount("a")).isEqualTo(2);
    assertThat(emulator.invocationCount("b")).isEqualTo(1);
    assertThat(emulator.invocations())
        .extracting(RecordedInvocation::functionName)
        .containsExactly("a", "a", "b");

    emulator.clearInvocations();

    assertThat(emulator.invocations()).isEmpty();
    assertThat(emulator.invocationCount("a")).isZero();
  }

  @Test
  void replacingAFunctionChangesWhatRuns() {
    emulator.function("fn", call -> FunctionOutcome.json(1));
    emulator.function("fn", call -> FunctionOutcome.json(2));

    assertThat(invoke("fn", "{}").payload().asUtf8String()).isEqualTo("2");
  }

  @Test
  void endpointIsTheBoundLoopbackAddress() {
    URI endpoint = emulator.endpoint();

    assertThat(endpoint.getScheme()).isEqualTo("http");
    assertThat(endpoint.getHost()).isEqualTo("127.0.0.1");
    assertThat(endpoint.getPort()).isPositive();
  }

  @Test
  void secretGeneratorReturnsAHexKeyOfTheRequestedLength() throws Exception {
    ExampleFunctions.registerAll(emulator);

    JsonNode sized =
        json(
            invoke(
                "secret-generator",
                "{\"service\":\"api\",\"length\":16,\"environment\":\"prod\"}"));
    JsonNode defaulted = json(invoke("secret-generator", "{\"service\":\"api\"}"));

    assertThat(sized.path("api_key").asText()).matches("[0-9a-f]{32}");
    assertThat(sized.path("service").asText()).isEqualTo("api");
    assertThat(sized.path("environment").asText()).isEqualTo("prod");
    assertThat(defaulted.path("api_key").asText()).matches("[0-9a-f]{64}");
    assertThat(defaulted.get("environment").isNull()).isTrue();
    assertThat(invoke("secret-generator", "{\"length\":-1}").functionError())
        .isEqualTo("Unhandled");
  }

  @Test
  void resourceOptimizerSizesByLoadThroughItsProductionAlias() throws Exception {
    ExampleFunctions.registerAll(emulator);

    InvokeResponse high =
        invoke(
            "resource-optimizer",
            "{\"workload_type\":\"web\",\"expected_load\":\"high\"}",
            r -> r.qualifier("production"));
    JsonNode medium = json(invoke("resource-optimizer", "{\"workload_type\":\"web\"}"));
    JsonNode unknown =
        json(
            invoke("resource-optimizer", "{\"workload_type\":\"quantum\"}", r -> r.qualifier("1")));

    assertThat(high.executedVersion()).isEqualTo("3");
    JsonNode sizing = json(high);
    int min = sizing.path("min_instances").asInt();
    int desired = sizing.path("desired_instances").asInt();
    int max = sizing.path("max_instances").asInt();
    assertThat(min).isPositive().isLessThanOrEqualTo(desired);
    assertThat(desired).isLessThanOrEqualTo(max);
    assertThat(desired).isGreaterThan(medium.path("desired_instances").asInt());
    assertThat(unknown).isEqualTo(medium);
  }

  @Test
  void complianceCheckerReportsViolationsAndLogsItsRules() throws Exception {
    ExampleFunctions.registerAll(emulator);

    InvokeResponse good =
        invoke(
            "compliance-checker",
            "{\"resource_config\":{\"encryption\":true,\"public_access\":false,\"backup_retention_days\":30}}",
            r -> r.logType(LogType.TAIL));
    JsonNode bad =
        json(
            invoke(
                "compliance-checker",
                "{\"resource_config\":{\"encryption\":false,\"public_access\":true,\"backup_retention_days\":1}}"));

    assertThat(json(good).path("compliant").asBoolean()).isTrue();
    assertThat(json(good).path("violations")).isEmpty();
    assertThat(bad.path("compliant").asBoolean()).isFalse();
    assertThat(bad.path("violations")).hasSize(3);
    String log = new String(Base64.getDecoder().decode(good.logResult()), StandardCharsets.UTF_8);
    assertThat(log)
        .startsWith("START RequestId: ")
        .contains("rule encryption: pass", "END RequestId: ", "REPORT RequestId: ");
    // The function's own lines name each rule and its verdict, never a value of the payload.
    assertThat(log.substring(log.indexOf('\n'), log.indexOf("END RequestId: ")))
        .doesNotContain("30");
  }

  @Test
  void configFetcherReadsSourceAndVersionFromTheClientContext() throws Exception {
    ExampleFunctions.registerAll(emulator);

    JsonNode flat =
        json(
            invoke(
                "config-fetcher",
                "{}",
                r -> r.clientContext(base64("{\"source\":\"k8s\",\"version\":\"1.2\"}"))));
    JsonNode custom =
        json(
            invoke(
                "config-fetcher",
                "{}",
                r ->
                    r.clientContext(
                        base64("{\"custom\":{\"source\":\"argo\",\"version\":\"2.0\"}}"))));
    JsonNode none = json(invoke("config-fetcher", "{}"));

    assertThat(flat.path("source").asText()).isEqualTo("k8s");
    assertThat(flat.path("version").asText()).isEqualTo("1.2");
    assertThat(flat.path("replica_count").isInt()).isTrue();
    assertThat(flat.path("max_percent").asInt()).isEqualTo(200);
    assertThat(flat.path("min_healthy_percent").asInt()).isEqualTo(50);
    assertThat(custom.path("source").asText()).isEqualTo("argo");
    assertThat(custom.path("version").asText()).isEqualTo("2.0");
    assertThat(none.path("source").asText()).isNotBlank();
  }

  @Test
  void credentialGeneratorIssuesAnHourLongCredential() throws Exception {
    ExampleFunctions.registerAll(emulator);

    JsonNode credential = json(invoke("credential-generator", "{\"database\":\"orders\"}"));

    assertThat(credential.path("username").asText()).matches("app_[0-9a-f]{8}");
    assertThat(credential.path("password").asText()).matches("[A-Za-z0-9_-]{32}");
    assertThat(credential.path("database").asText()).isEqualTo("orders");
    Instant expiresAt = Instant.parse(credential.path("expires_at").asText());
    assertThat(expiresAt)
        .isBetween(Instant.now().plusSeconds(3500), Instant.now().plusSeconds(3601));
  }

  @Test
  void credentialGeneratorConfirmsARevocation() throws Exception {
    ExampleFunctions.registerAll(emulator);

    JsonNode revoked =
        json(invoke("credential-generator", "{\"action\":\"revoke\",\"database\":\"orders\"}"));

    assertThat(revoked.path("revoked").asBoolean()).isTrue();
    assertThat(revoked.path("database").asText()).isEqualTo("orders");
    assertThat(revoked.has("password")).isFalse();
  }

  @Test
  void registryTokenIssuesATwelveHourRegistryLogin() throws Exception {
    ExampleFunctions.registerAll(emulator);

    JsonNode login = json(invoke("registry-token", "{\"registry\":\"registry.example.com\"}"));
    InvokeResponse refused = invoke("registry-token", "{}");

    assertThat(login.path("registry").asText()).isEqualTo("registry.example.com");
    assertThat(login.path("username").asText()).isEqualTo("AWS");
    assertThat(Base64.getDecoder().decode(login.path("password").asText())).hasSize(48);
    assertThat(Instant.parse(login.path("expires_at").asText()))
        .isBetween(
            Instant.now().plusSeconds(12 * 3600 - 100), Instant.now().plusSeconds(12 * 3601));
    assertThat(refused.functionError()).isEqualTo("Unhandled");
    assertThat(json(refused).path("errorType").asText()).isEqualTo("ValueError");
  }

  @Test
  void alwaysFailsIsAnUnhandledRuntimeError() throws Exception {
    ExampleFunctions.registerAll(emulator);

    InvokeResponse response = invoke("always-fails", "{}", r -> r.logType(LogType.TAIL));

    assertThat(response.functionError()).isEqualTo("Unhandled");
    assertThat(json(response).path("errorType").asText()).isEqualTo("RuntimeError");
    assertThat(json(response).path("errorMessage").asText()).isEqualTo("simulated failure");
    assertThat(Base64.getDecoder().decode(response.logResult()))
        .asString(StandardCharsets.UTF_8)
        .contains("simulated failure");
  }

  @Test
  void registrationRejectsUndeclaredVersionsAndBadNames() {
    assertThatExceptionOfType(IllegalArgumentException.class)
        .isThrownBy(() -> emulator.alias("fn", "prod", "9"));
    assertThatExceptionOfType(IllegalArgumentException.class)
        .isThrownBy(() -> emulator.version("fn", "latest"));
    assertThatExceptionOfType(IllegalArgumentException.class)
        .isThrownBy(() -> emulator.function("fn:1", LambdaEmulatorTest::echo));
    assertThat(emulator.alias("fn", "head", "$LATEST")).isSameAs(emulator);
  }
}
