package dev.ephemeral.lambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ephemeral.lambda.logging.LogFormatEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures every log event while open, with the named loggers at TRACE, so that a test can check
 * that a secret value reaches no log line at any level; closing restores the levels.
 */
final class TraceLogs implements AutoCloseable {

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final List<String> loggers;
  private final List<Level> savedLevels = new ArrayList<>();

  private TraceLogs(List<String> loggers) {
    this.loggers = loggers;
  }

  static TraceLogs capture(String... loggers) {
    var logs = new TraceLogs(List.of(loggers));
    LoggerContext context = context();
    logs.appender.setContext(context);
    logs.appender.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logs.appender);
    for (String name : logs.loggers) {
      Logger logger = context.getLogger(name);
      logs.savedLevels.add(logger.getLevel());
      logger.setLevel(Level.TRACE);
    }
    return logs;
  }

  /** The events captured so far. */
  List<ILoggingEvent> events() {
    synchronized (appender) {
      return new ArrayList<>(appender.list);
    }
  }

  /**
   * Fails when any captured event, written as the operator writes it in either LOG_FORMAT (a text
   * line, and a JSON line with the key-value pairs and the exception as fields), holds one of
   * {@code forbidden}.
   */
  void assertNoLineContains(List<String> forbidden) {
    LoggerContext context = context();
    List<String> formats = List.of("text", "json");
    List<ILoggingEvent> captured = events();
    assertThat(captured).isNotEmpty();
    for (String format : formats) {
      var encoder = LogFormatEncoder.forFormat(format, context);
      for (ILoggingEvent event : captured) {
        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
        for (String text : forbidden) {
          assertThat(line)
              .as("%s log line from %s", format, event.getLoggerName())
              .doesNotContain(text);
        }
      }
    }
  }

  @Override
  public void close() {
    LoggerContext context = context();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
    for (int i = 0; i < loggers.size(); i++) {
      context.getLogger(loggers.get(i)).setLevel(savedLevels.get(i));
    }
  }

  private static LoggerContext context() {
    return (LoggerContext) LoggerFactory.getILoggerFactory();
  }
}
