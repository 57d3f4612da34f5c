package dev.ephemeral.lambda.e2e;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
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
