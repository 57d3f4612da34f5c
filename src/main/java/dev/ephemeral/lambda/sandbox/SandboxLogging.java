package dev.ephemeral.lambda.sandbox;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.ephemeral.lambda.sandbox.ManifestLoader.ManifestException;
import org.slf4j.LoggerFactory;

/** The sandbox's logs on stderr: the operator's at the level --log-level names, little else. */
final class SandboxLogging {

  private SandboxLogging() {}

  static void setLevel(String logLevel) throws ManifestException {
    Level level = Level.toLevel(logLevel, null);
    if (level == null) {
      throw new ManifestException(
          "--log-level must be TRACE, DEBUG, INFO, WARN, ERROR or OFF, got '" + logLevel + "'");
    }
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("dev.ephemeral.lambda").setLevel(level);
      // The framework's start-up chatter is not the sandbox's story; its warnings still show.
      context.getLogger("io.javaoperatorsdk").setLevel(Level.WARN);
      context.getLogger("Default ConfigurationService implementation").setLevel(Level.WARN);
    }
  }
}
