package dev.ephemeral.lambda.sandbox;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Keeps a failure the manifests expect (annotation {@value Expectation#ANNOTATION}, such as
 * FunctionError for examples/06's failing-check) from reading like an error: the operator's WARN
 * lines about it leave the console log, and one line on stderr says it happened as expected.
 * Failures nobody expected still show as WARN.
 */
final class ExpectedFailures extends Filter<ILoggingEvent> implements AutoCloseable {

  /** One filter for the process: logback cannot take a filter off an appender again. */
  private static final ExpectedFailures INSTANCE = new ExpectedFailures();

  private Map<String, String> expected = Map.of();
  private final Set<String> reported = new HashSet<>();
  private PrintWriter err;
  private String command;

  /** Until closed, marks the failures {@code expectations} expect, on {@code err}. */
  static ExpectedFailures mark(
      Map<String, Expectation> expectations, PrintWriter err, String command) {
    Map<String, String> failures = new HashMap<>();
    expectations.forEach(
        (key, expectation) -> {
          if (!expectation.reason().equals("Invoked")) {
            failures.put(key, expectation.reason());
          }
        });
    synchronized (INSTANCE) {
      INSTANCE.expected = failures;
      INSTANCE.reported.clear();
      INSTANCE.err = err;
      INSTANCE.command = command;
    }
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context
          .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
          .iteratorForAppenders()
          .forEachRemaining(
              appender -> {
                if (appender instanceof ConsoleAppender<ILoggingEvent> console
                    && !console.getCopyOfAttachedFiltersList().contains(INSTANCE)) {
                  INSTANCE.start();
                  console.addFilter(INSTANCE);
                }
              });
    }
    return INSTANCE;
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    if (event.getLevel() != Level.WARN || event.getKeyValuePairs() == null) {
      return FilterReply.NEUTRAL;
    }
    Map<String, String> pairs = new HashMap<>();
    event.getKeyValuePairs().forEach(p -> pairs.put(p.key, String.valueOf(p.value)));
    String key = pairs.get("namespace") + "/" + pairs.get("name");
    synchronized (this) {
      String reason = expected.get(key);
      if (reason == null || !reason.equals(pairs.get("reason"))) {
        return FilterReply.NEUTRAL;
      }
      if (reported.add(key)) {
        err.println(
            command
                + ": "
                + key
                + " "
                + reason
                + ", as expected ("
                + Expectation.ANNOTATION
                + "): "
                + event.getFormattedMessage());
        err.flush();
      }
      return FilterReply.DENY;
    }
  }

  @Override
  public synchronized void close() {
    expected = Map.of();
    reported.clear();
  }
}
