package dev.ephemeral.lambda.emulator;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.ephemeral.lambda.emulator.FunctionOutcome.ApiError;
import dev.ephemeral.lambda.emulator.FunctionOutcome.Delayed;
import dev.ephemeral.lambda.emulator.FunctionOutcome.Result;
import dev.ephemeral.lambda.emulator.InvokeRequestReader.Body;
import dev.ephemeral.lambda.emulator.InvokeResponseWriter.Answer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code POST /2015-03-31/functions/{FunctionName}/invocations} the way AWS Lambda does,
 * and every other request with {@code UnknownOperationException}. Never logs a payload, a result or
 * a log line.
 */
final class InvokeRoute implements HttpHandler {

  /** The synchronous Invoke request limit. */
  static final int MAX_SYNC_PAYLOAD = 6_291_456;

  /** The asynchronous ({@code Event}) Invoke request limit. */
  static final int MAX_ASYNC_PAYLOAD = 1_048_576;

  /** The largest response payload Lambda returns; a bigger one becomes a function error. */
  static final int MAX_RESPONSE_PAYLOAD = 6_291_556;

  /** {@code X-Amz-Log-Result} carries the last 4 KB of the log. */
  static final int MAX_LOG_TAIL = 4096;

  static final int MAX_CLIENT_CONTEXT = 3583;

  private static final Logger LOG = LoggerFactory.getLogger(InvokeRoute.class);

  private static final Pattern INVOKE_PATH =
      Pattern.compile("/2015-03-31/functions/([^/]+)/invocations/?");
  private static final Pattern QUALIFIER = Pattern.compile("[a-zA-Z0-9$_-]{1,128}");
  private static final String FUNCTION_NAME_PATTERN =
      "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
          + "([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";
  private static final List<String> INVOCATION_TYPES =
      List.of("Event", "RequestResponse", "DryRun");
  private static final List<String> LOG_TYPES = List.of("Tail", "None");
  private static final String DEFAULT_ACCOUNT = "123456789012";
  private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);
  private static final ApiError INTERNAL_ERROR =
      new ApiError(
          500, "ServiceException", "The AWS Lambda service encountered an internal error.", null);

  private final FunctionRegistry registry;
  private final Consumer<RecordedInvocation> recorder;

  InvokeRoute(FunctionRegistry registry, Consumer<RecordedInvocation> recorder) {
    this.registry = registry;
    this.recorder = recorder;
  }

  @Override
  public void handle(HttpExchange exchange) {
    String requestId = UUID.randomUUID().toString();
    try {
      Matcher path = INVOKE_PATH.matcher(exchange.getRequestURI().getRawPath());
      if ("POST".equals(exchange.getRequestMethod()) && path.matches()) {
        invoke(exchange, requestId, path.group(1));
      } else {
        InvokeRequestReader.drain(exchange.getRequestBody());
        InvokeResponseWriter.sendApiError(
            exchange,
            requestId,
            new ApiError(
                404,
                "UnknownOperationException",
                "Unknown operation: the Lambda emulator serves only Invoke",
                null));
      }
    } catch (IOException e) {
      LOG.atDebug()
          .addKeyValue("error", e.getClass().getSimpleName())
          .log("Lambda emulator lost a client");
    } catch (RuntimeException e) {
      LOG.atWarn()
          .addKeyValue("error", e.getClass().getName())
          .log("Lambda emulator failed to answer");
      if (exchange.getResponseCode() == -1) {
        InvokeResponseWriter.trySendApiError(exchange, requestId, INTERNAL_ERROR);
      }
    } finally {
      exchange.close();
    }
  }

  private void invoke(HttpExchange exchange, String requestId, String rawFunctionName)
      throws IOException {
    Instant receivedAt = Instant.now();
    String invocationType = exchange.getRequestHeaders().getFirst("X-Amz-Invocation-Type");
    int limit = "Event".equals(invocationType) ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
    Body body = InvokeRequestReader.readBody(exchange.getRequestBody(), limit);

    String parameter = InvokeRequestReader.percentDecode(rawFunctionName);
    Optional<FunctionReference> reference = FunctionReference.parse(parameter);
    String queryQualifier =
        InvokeRequestReader.queryParameter(exchange.getRequestURI().getRawQuery(), "Qualifier");
    String qualifier =
        queryQualifier != null
            ? queryQualifier
            : reference.map(FunctionReference::qualifier).orElse(null);
    String functionName = reference.map(FunctionReference::name).orElse(parameter);
    recorder.accept(
        new RecordedInvocation(
            "POST",
            exchange.getRequestURI().getRawPath(),
            functionName,
            qualifier,
            InvokeRequestReader.lowerCaseHeaders(exchange),
            body.bytes(),
            receivedAt));

    Answer answer;
    try {
      answer = run(exchange, body, parameter, reference, queryQualifier, invocationType);
    } catch (Rejected rejected) {
      answer = new Answer(rejected.error, null, Duration.ZERO);
    }
    if (answer.outcome() == null) {
      return;
    }
    int status =
        InvokeResponseWriter.send(
            exchange,
            requestId,
            answer,
            invocationType,
            "Tail".equals(exchange.getRequestHeaders().getFirst("X-Amz-Log-Type")));
    LOG.atDebug()
        .addKeyValue("function", functionName)
        .addKeyValue("status", status)
        .log("Lambda emulator answered an invocation");
  }

  /**
   * Validates the request as Lambda does and runs the function; no outcome when a delay was
   * interrupted.
   */
  private Answer run(
      HttpExchange exchange,
      Body body,
      String parameter,
      Optional<FunctionReference> reference,
      String queryQualifier,
      String invocationType)
      throws Rejected {
    if (body.tooLarge()) {
      int limit = "Event".equals(invocationType) ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
      throw new Rejected(
          new ApiError(
              413,
              "RequestTooLargeException",
              "Request must be smaller than " + limit + " bytes for the InvokeFunction operation",
              null));
    }
    FunctionReference function =
        reference.orElseThrow(
            () ->
                new Rejected(
                    validation(
                        parameter,
                        "functionName",
                        parameter.length() > FunctionReference.MAX_REFERENCE_LENGTH
                            ? "Member must have length less than or equal to "
                                + FunctionReference.MAX_REFERENCE_LENGTH
                            : "Member must satisfy regular expression pattern: "
                                + FUNCTION_NAME_PATTERN)));
    if (queryQualifier != null && !QUALIFIER.matcher(queryQualifier).matches()) {
      throw new Rejected(
          validation(
              queryQualifier,
              "qualifier",
              "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"));
    }
    if (invocationType != null && !INVOCATION_TYPES.contains(invocationType)) {
      throw new Rejected(
          validation(
              invocationType,
              "invocationType",
              "Member must satisfy enum value set: " + INVOCATION_TYPES));
    }
    String logType = exchange.getRequestHeaders().getFirst("X-Amz-Log-Type");
    if (logType != null && !LOG_TYPES.contains(logType)) {
      throw new Rejected(
          validation(logType, "logType", "Member must satisfy enum value set: " + LOG_TYPES));
    }
    if (queryQualifier != null
        && function.qualifier() != null
        && !queryQualifier.equals(function.qualifier())) {
      throw new Rejected(
          new ApiError(
              400,
              "InvalidParameterValueException",
              "The derived qualifier from the function name does not match the specified"
                  + " qualifier.",
              null));
    }
    String qualifier = queryQualifier != null ? queryQualifier : function.qualifier();

    String arn =
        "arn:aws:lambda:"
            + Optional.ofNullable(function.region())
                .orElseGet(() -> InvokeRequestReader.signingRegion(exchange))
            + ":"
            + Optional.ofNullable(function.account()).orElse(DEFAULT_ACCOUNT)
            + ":function:"
            + function.name()
            + (qualifier == null ? "" : ":" + qualifier);
    LambdaFunction code =
        registry.function(function.name()).orElseThrow(() -> new Rejected(notFound(arn)));
    String executedVersion =
        registry
            .executedVersion(function.name(), qualifier)
            .orElseThrow(() -> new Rejected(notFound(arn)));

    String clientContextJson =
        clientContext(exchange.getRequestHeaders().getFirst("X-Amz-Client-Context"));
    byte[] payload = body.bytes().length == 0 ? EMPTY_OBJECT : body.bytes();
    requireJson(payload);
    if ("DryRun".equals(invocationType)) {
      return new Answer(new Result(new byte[0], null), executedVersion, Duration.ZERO);
    }
    FunctionCall call =
        new FunctionCall(
            function.name(),
            qualifier,
            executedVersion,
            payload,
            clientContextJson,
            "Tail".equals(logType));
    long started = System.nanoTime();
    FunctionOutcome outcome = settle(call(code, call));
    return new Answer(outcome, executedVersion, Duration.ofNanos(System.nanoTime() - started));
  }

  private static FunctionOutcome call(LambdaFunction code, FunctionCall call) {
    try {
      FunctionOutcome outcome = code.handle(call);
      return outcome == null ? INTERNAL_ERROR : outcome;
    } catch (RuntimeException e) {
      LOG.atDebug()
          .addKeyValue("function", call.functionName())
          .addKeyValue("error", e.getClass().getName())
          .log("Emulated function threw");
      return INTERNAL_ERROR;
    }
  }

  /** Sleeps through delays; null if interrupted (the emulator is closing), so no answer is sent. */
  private static FunctionOutcome settle(FunctionOutcome outcome) {
    FunctionOutcome current = outcome;
    while (current instanceof Delayed delayed) {
      try {
        TimeUnit.MILLISECONDS.sleep(saturatedMillis(delayed.delay()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
      current = delayed.then();
    }
    return current;
  }


  private static ApiError notFound(String arn) {
    return new ApiError(404, "ResourceNotFoundException", "Function not found: " + arn, null);
  }

  private static ApiError validation(String value, String member, String constraint) {
    return new ApiError(
        400,
        "ValidationException",
        "1 validation error detected: Value '"
            + value
            + "' at '"
            + member
            + "' failed to satisfy constraint: "
            + constraint,
        null);
  }

  /** Decodes {@code X-Amz-Client-Context}: base64 of a JSON object, or null if absent. */
  private static String clientContext(String header) throws Rejected {
    if (header == null) {
      return null;
    }
    ApiError invalid =
        new ApiError(
            400,
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
            null);
    if (header.length() > MAX_CLIENT_CONTEXT) {
      throw new Rejected(
          new ApiError(
              400,
              "InvalidRequestContentException",
              "Client context must be at most " + MAX_CLIENT_CONTEXT + " bytes, base64-encoded.",
              null));
    }
    String json;
    try {
      json = new String(Base64.getDecoder().decode(header), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new Rejected(invalid);
    }
    try {
      if (!EmulatorJson.MAPPER.readTree(json).isObject()) {
        throw new Rejected(invalid);
      }
    } catch (JsonProcessingException e) {
      throw new Rejected(invalid);
    }
    return json;
  }

  /**
   * Lambda refuses a payload that is not JSON; its message quotes the offending token, as Jackson's
   * does.
   */
  private static void requireJson(byte[] payload) throws Rejected {
    try {
      JsonNode parsed = EmulatorJson.MAPPER.readTree(payload);
      if (parsed == null || parsed.isMissingNode()) {
        throw new Rejected(
            new ApiError(
                400,
                "InvalidRequestContentException",
                "Could not parse request body into json: Could not parse payload into json: "
                    + "No content to map due to end-of-input",
                null));
      }
    } catch (JsonProcessingException e) {
      JsonLocation location = e.getLocation();
      String at =
          location == null
              ? ""
              : " at [line: " + location.getLineNr() + ", column: " + location.getColumnNr() + "]";
      throw new Rejected(
          new ApiError(
              400,
              "InvalidRequestContentException",
              "Could not parse request body into json: Could not parse payload into json: "
                  + e.getOriginalMessage()
                  + at,
              null));
    } catch (IOException e) {
      throw new Rejected(INTERNAL_ERROR);
    }
  }


  private static long saturatedMillis(Duration delay) {
    try {
      return delay.toMillis();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** A request Lambda would refuse before running the function. */
  private static final class Rejected extends Exception {
    private final transient ApiError error;

    Rejected(ApiError error) {
      super(error.errorType(), null, false, false);
      this.error = error;
    }
  }
}
