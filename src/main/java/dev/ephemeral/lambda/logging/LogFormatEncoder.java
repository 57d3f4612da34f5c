package dev.ephemeral.lambda.logging;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Context;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import java.util.Locale;

/**
 * The operator's log lines in the format that LOG_FORMAT names (logback.xml passes it as {@code
 * format}): {@code text} (the default), one line of {@link #TEXT_PATTERN} per event, or {@code
 * json}, one {@link JsonLineEncoder} object per line. Any other value is reported by logback at
 * start and gives text: a typo must not silence the logs.
 */
public final class LogFormatEncoder extends EncoderBase<ILoggingEvent> {

  /** The text format: time, level, thread, logger, message, then the key-value pairs. */
  public static final String TEXT_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} - %msg %kvp%n";

  private String format = "text";
  private Encoder<ILoggingEvent> delegate;

  /** text or json, case-insensitive. */
  public void setFormat(String format) {
    this.format = format;
  }

  /** An encoder for {@code format}, for tests that render events as the operator would. */
  public static Encoder<ILoggingEvent> forFormat(String format, Context context) {
    var encoder = new LogFormatEncoder();
    encoder.setContext(context);
    encoder.setFormat(format);
    encoder.start();
    return encoder;
  }

  @Override
  public void start() {
    String chosen = format == null ? "" : format.trim().toLowerCase(Locale.ROOT);
    if (chosen.equals("json")) {
      delegate = new JsonLineEncoder();
    } else {
      if (!chosen.equals("text")) {
        addWarn("LOG_FORMAT must be text or json, got '" + format + "'; using text");
      }
      var text = new PatternLayoutEncoder();
      text.setPattern(TEXT_PATTERN);
      delegate = text;
    }
    delegate.setContext(getContext());
    delegate.start();
    super.start();
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }
}
