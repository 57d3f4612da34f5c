package dev.ephemeral.lambda.emulator;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.ephemeral.lambda.emulator.FunctionOutcome.ApiError;
import dev.ephemeral.lambda.emulator.FunctionOutcome.Delayed;
import dev.ephemeral.lambda.emulator.FunctionOutcome.FunctionError;
import dev.ephemeral.lambda.emulator.FunctionOutcome.Result;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  private static final String DEFAULT_REGION = "us-east-1";
  private static final String DEFAULT_ACCOUNT = "123456789012";
  private static final String JSON = "application/json";
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
        drain(exchange.getRequestBody());
        sendApiError(
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
        trySend(exchange, requestId, INTERNAL_ERROR);
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
    Body body = readBody(exchange.getRequestBody(), limit);

    String parameter = percentDecode(rawFunctionName);
    Optional<FunctionReference> reference = FunctionReference.parse(parameter);
    String queryQualifier = queryParameter(exchange.getRequestURI().getRawQuery(), "Qualifier");
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
            lowerCaseHeaders(exchange),
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
        send(
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
            + Optional.ofNullable(function.region()).orElseGet(() -> signingRegion(exchange))
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

  private static int send(
      HttpExchange exchange, String requestId, Answer answer, String invocationType, boolean tail)
      throws IOException {
    FunctionOutcome outcome = answer.outcome();
    if (outcome instanceof ApiError error) {
      return sendApiError(exchange, requestId, error);
    }
    if ("DryRun".equals(invocationType)) {
      return sendRaw(exchange, requestId, 204, Map.of(), new byte[0]);
    }
    if ("Event".equals(invocationType)) {
      return sendRaw(exchange, requestId, 202, Map.of(), new byte[0]);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", JSON);
    headers.put("X-Amz-Executed-Version", answer.executedVersion());
    if (outcome instanceof Result result && result.payload().length > MAX_RESPONSE_PAYLOAD) {
      outcome =
          new FunctionError(
              "Unhandled",
              "Function.ResponseSizeTooLarge",
              "Response payload size exceeded maximum allowed payload size ("
                  + MAX_RESPONSE_PAYLOAD
                  + " bytes).",
              result.logText());
    }
    if (tail) {
      String functionLines =
          outcome instanceof Result result ? result.logText() : ((FunctionError) outcome).logText();
      headers.put(
          "X-Amz-Log-Result",
          logTail(
              ExecutionLog.of(
                  requestId, answer.executedVersion(), functionLines, answer.duration())));
    }
    if (outcome instanceof Result result) {
      return sendRaw(exchange, requestId, 200, headers, result.payload());
    }
    FunctionError error = (FunctionError) outcome;
    headers.put("X-Amz-Function-Error", error.kind());
    ObjectNode document =
        EmulatorJson.MAPPER
            .createObjectNode()
            .put("errorMessage", error.errorMessage())
            .put("errorType", error.errorType());
    if ("Unhandled".equals(error.kind())) {
      document.put("requestId", requestId);
    }
    document.putArray("stackTrace");
    return sendRaw(
        exchange, requestId, 200, headers, EmulatorJson.MAPPER.writeValueAsBytes(document));
  }

  private static int sendApiError(HttpExchange exchange, String requestId, ApiError error)
      throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", JSON);
    headers.put("x-amzn-ErrorType", error.errorType());
    if (error.retryAfterSeconds() != null) {
      headers.put("Retry-After", error.retryAfterSeconds().toString());
    }
    return sendRaw(exchange, requestId, error.httpStatus(), headers, errorDocument(error));
  }

  /**
   * Lambda's error body: {@code Type} and {@code message}; IAM's AccessDenied uses {@code Message}.
   */
  private static byte[] errorDocument(ApiError error) throws JsonProcessingException {
    ObjectNode document = EmulatorJson.MAPPER.createObjectNode();
    if ("AccessDeniedException".equals(error.errorType())) {
      document.put("Message", error.message());
      return EmulatorJson.MAPPER.writeValueAsBytes(document);
    }
    if ("TooManyRequestsException".equals(error.errorType())) {
      document.put("Reason", "ConcurrentInvocationLimitExceeded");
    }
    document.put("Type", "ServiceException".equals(error.errorType()) ? "Service" : "User");
    document.put("message", error.message());
    if (error.retryAfterSeconds() != null) {
      document.put("retryAfterSeconds", error.retryAfterSeconds().toString());
    }
    return EmulatorJson.MAPPER.writeValueAsBytes(document);
  }

  private static int sendRaw(
      HttpExchange exchange, String requestId, int status, Map<String, String> headers, byte[] body)
      throws IOException {
    headers.forEach(exchange.getResponseHeaders()::set);
    exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
    return status;
  }

  private static void trySend(HttpExchange exchange, String requestId, ApiError error) {
    try {
      sendApiError(exchange, requestId, error);
    } catch (IOException | RuntimeException e) {
      LOG.atDebug()
          .addKeyValue("error", e.getClass().getSimpleName())
          .log("Lambda emulator lost a client");
    }
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

  /** Base64 of the last 4 KB of the log, as {@code X-Amz-Log-Result} carries it. */
  static String logTail(String logText) {
    byte[] log = logText == null ? new byte[0] : logText.getBytes(StandardCharsets.UTF_8);
    byte[] tail =
        log.length <= MAX_LOG_TAIL
            ? log
            : Arrays.copyOfRange(log, log.length - MAX_LOG_TAIL, log.length);
    return Base64.getEncoder().encodeToString(tail);
  }

  /**
   * The region of the SigV4 credential scope ({@code
   * Credential=AKID/DATE/REGION/lambda/aws4_request}).
   */
  private static String signingRegion(HttpExchange exchange) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null) {
      int start = authorization.indexOf("Credential=");
      if (start >= 0) {
        String[] scope = authorization.substring(start + "Credential=".length()).split("[/,]");
        if (scope.length > 2 && !scope[2].isBlank()) {
          return scope[2];
        }
      }
    }
    return DEFAULT_REGION;
  }

  private static Map<String, List<String>> lowerCaseHeaders(HttpExchange exchange) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) ->
                headers.merge(
                    name.toLowerCase(Locale.ROOT),
                    List.copyOf(values),
                    (a, b) -> {
                      List<String> merged = new ArrayList<>(a);
                      merged.addAll(b);
                      return List.copyOf(merged);
                    }));
    return Collections.unmodifiableMap(headers);
  }

  static String queryParameter(String rawQuery, String name) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = percentDecode(eq < 0 ? pair : pair.substring(0, eq));
      if (key.equals(name)) {
        String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1));
        return value.isEmpty() ? null : value;
      }
    }
    return null;
  }

  /** Percent-decoding of a URI component; unlike form decoding, {@code +} stays a plus. */
  static String percentDecode(String raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%'
          && i + 2 < raw.length()
          && isHex(raw.charAt(i + 1))
          && isHex(raw.charAt(i + 2))) {
        out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isHex(char c) {
    return Character.digit(c, 16) >= 0;
  }

  private static Body readBody(InputStream in, int limit) throws IOException {
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    byte[] buffer = new byte[16_384];
    long total = 0;
    for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
      long room = limit + 1L - total;
      if (room > 0) {
        kept.write(buffer, 0, (int) Math.min(n, room));
      }
      total += n;
    }
    return new Body(kept.toByteArray(), total > limit);
  }

  private static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[16_384];
    while (in.read(buffer) != -1) {
      // discard: the client must be able to finish sending before it reads the answer
    }
  }

  private static long saturatedMillis(Duration delay) {
    try {
      return delay.toMillis();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * What to answer, the version that ran (null when the request was refused) and how long the
   * function took.
   */
  private record Answer(FunctionOutcome outcome, String executedVersion, Duration duration) {}

  /**
   * The request body as kept (at most the limit plus one byte) and whether it exceeded the limit.
   */
  private record Body(byte[] bytes, boolean tooLarge) {}

  /** A request Lambda would refuse before running the function. */
  private static final class Rejected extends Exception {
    private final transient ApiError error;

    Rejected(ApiError error) {
      super(error.errorType(), null, false, false);
      this.error = error;
    }
  }
}
