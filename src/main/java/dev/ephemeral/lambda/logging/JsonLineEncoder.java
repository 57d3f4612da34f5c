package dev.ephemeral.lambda.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object per line, as Loki, Elasticsearch and Cloud Logging ingest: {@code time} (RFC
 * 3339, UTC), {@code level}, {@code logger}, {@code thread}, {@code message}, each SLF4J key-value
 * pair as a field of its own, and {@code exception} (the stack trace as text) when there is one.
 *
 * <p>logback's own JsonEncoder nests the pairs in a {@code kvpList} array of one-entry objects,
 * which log queries cannot address as fields; hence this one.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {

  /** The fields every line has; a key-value pair of the same name is written as kv.NAME. */
  static final Set<String> FIELDS =
      Set.of("time", "level", "logger", "thread", "message", "exception");

  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] NONE = new byte[0];

  @Override
  public byte[] encode(ILoggingEvent event) {
    var out = new ByteArrayOutputStream(256);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("time", DateTimeFormatter.ISO_INSTANT.format(event.getInstant()));
      json.writeStringField("level", event.getLevel().toString());
      json.writeStringField("logger", event.getLoggerName());
      json.writeStringField("thread", event.getThreadName());
      json.writeStringField("message", event.getFormattedMessage());
      for (var pair : pairs(event).entrySet()) {
        json.writeFieldName(pair.getKey());
        writeValue(json, pair.getValue());
      }
      if (event.getThrowableProxy() != null) {
        json.writeStringField("exception", ThrowableProxyUtil.asString(event.getThrowableProxy()));
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.write('\n');
    return out.toByteArray();
  }

  /** The event's key-value pairs by name, the last of a repeated key winning. */
  private static Map<String, Object> pairs(ILoggingEvent event) {
    Map<String, Object> pairs = new LinkedHashMap<>();
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair pair : event.getKeyValuePairs()) {
        String key = String.valueOf(pair.key);
        pairs.put(FIELDS.contains(key) ? "kv." + key : key, pair.value);
      }
    }
    return pairs;
  }

  private static void writeValue(JsonGenerator json, Object value) throws IOException {
    if (value == null) {
      json.writeNull();
    } else if (value instanceof Boolean b) {
      json.writeBoolean(b);
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      json.writeNumber(((Number) value).longValue());
    } else if (value instanceof Double || value instanceof Float) {
      json.writeNumber(((Number) value).doubleValue());
    } else {
      json.writeString(String.valueOf(value));
    }
  }

  @Override
  public byte[] headerBytes() {
    return NONE;
  }

  @Override
  public byte[] footerBytes() {
    return NONE;
  }
}
