package dev.ephemeral.lambda.emulator;

import static dev.ephemeral.lambda.emulator.InvokeRoute.MAX_LOG_TAIL;
import static dev.ephemeral.lambda.emulator.InvokeRoute.MAX_RESPONSE_PAYLOAD;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.ephemeral.lambda.emulator.FunctionOutcome.ApiError;
import dev.ephemeral.lambda.emulator.FunctionOutcome.FunctionError;
import dev.ephemeral.lambda.emulator.FunctionOutcome.Result;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Lambda's answers to an Invoke: the function's result or error with its headers, the
 * empty answers of DryRun and Event, and the service's own errors. Logs nothing but a lost client.
 */
final class InvokeResponseWriter {

  private static final Logger LOG = LoggerFactory.getLogger(InvokeResponseWriter.class);

  private static final String JSON = "application/json";

  private InvokeResponseWriter() {}

  /** Answers an Invoke with the function's outcome or the service's error; returns the status. */
  static int send(
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

  static int sendApiError(HttpExchange exchange, String requestId, ApiError error)
      throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", JSON);
    headers.put("x-amzn-ErrorType", error.errorType());
    if (error.retryAfterSeconds() != null) {
      headers.put("Retry-After", error.retryAfterSeconds().toString());
    }
    return sendRaw(exchange, requestId, error.httpStatus(), headers, errorDocument(error));
  }

  /** Sends a service error after the route failed; a client gone meanwhile is only logged. */
  static void trySendApiError(HttpExchange exchange, String requestId, ApiError error) {
    try {
      sendApiError(exchange, requestId, error);
    } catch (IOException | RuntimeException e) {
      LOG.atDebug()
          .addKeyValue("error", e.getClass().getSimpleName())
          .log("Lambda emulator lost a client");
    }
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
      document.put(
          "Reason", error.reason() == null ? "ConcurrentInvocationLimitExceeded" : error.reason());
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

  /** Base64 of the last 4 KB of the log, as {@code X-Amz-Log-Result} carries it. */
  private static String logTail(String logText) {
    byte[] log = logText == null ? new byte[0] : logText.getBytes(StandardCharsets.UTF_8);
    byte[] tail =
        log.length <= MAX_LOG_TAIL
            ? log
            : Arrays.copyOfRange(log, log.length - MAX_LOG_TAIL, log.length);
    return Base64.getEncoder().encodeToString(tail);
  }

  /**
   * What to answer, the version that ran (null when the request was refused) and how long the
   * function took.
   */
  record Answer(FunctionOutcome outcome, String executedVersion, Duration duration) {}
}
