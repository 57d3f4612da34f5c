package dev.ephemeral.lambda.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** LOG_FORMAT: the same event as a text line, or as one JSON object per line. */
class LogFormatEncoderTest {

  private final LoggerContext context = new LoggerContext();
  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void jsonIsOneObjectPerLineWithTheKeyValuePairsAsFields() throws Exception {
    String line = render("json", event(null));

    assertThat(line).endsWith("\n").doesNotContain("\n\n");
    assertThat(line.strip()).doesNotContain("\n");
    JsonNode json = mapper.readTree(line);
    assertThat(json.path("time").asText()).isEqualTo("2026-12-07T12:00:00.250Z");
    assertThat(json.path("level").asText()).isEqualTo("WARN");
    assertThat(json.path("logger").asText()).isEqualTo("dev.ephemeral.lambda.reconciler.StoredCalls");
    assertThat(json.path("thread").asText()).isEqualTo("reconciler-1");
    assertThat(json.path("message").asText()).isEqualTo("Invocation failed: function not found");
    assertThat(json.path("namespace").asText()).isEqualTo("shop");
    assertThat(json.path("statusCode").isInt()).as("numbers stay numbers").isTrue();
    assertThat(json.path("statusCode").asInt()).isEqualTo(404);
    assertThat(json.path("retrying").asBoolean()).isTrue();
    assertThat(json.path("backoff").asText()).isEqualTo("PT30S");
    assertThat(json.path("kv.message").asText())
        .as("a pair named like a field does not replace it")
        .isEqualTo("shadow");
    assertThat(json.has("exception")).isFalse();
  }

  @Test
  void jsonCarriesTheExceptionAsAField() throws Exception {
    JsonNode json = mapper.readTree(render("json", event(new IllegalStateException("boom"))));

    assertThat(json.path("exception").asText())
        .startsWith("java.lang.IllegalStateException: boom")
        .contains("\tat ");
  }

  @Test
  void textIsTheDefaultLineWithTheKeyValuePairs() {
    String line = render("text", event(null));

    assertThat(line)
        // The time in the JVM's zone, with its offset.
        .matches(
            "(?s)2026-12-0[67]T\\d\\d:\\d\\d:00\\.250(Z|[+-]\\d\\d:\\d\\d)"
                + " WARN  \\[reconciler-1\\] .*")
        .contains("reconciler.StoredCalls - Invocation failed: function not found")
        .contains("namespace=\"shop\"")
        .contains("statusCode=\"404\"")
        .endsWith("\n");
  }

  @Test
  void anUnknownFormatGivesTextNotSilence() {
    assertThat(render("yaml", event(null))).contains("Invocation failed: function not found");
    assertThat(render(" JSON ", event(null))).startsWith("{\"time\":");
  }

  private String render(String format, LoggingEvent event) {
    var encoder = LogFormatEncoder.forFormat(format, context);
    return new String(encoder.encode(event), StandardCharsets.UTF_8);
  }

  private LoggingEvent event(Throwable thrown) {
    var logger = context.getLogger("dev.ephemeral.lambda.reconciler.StoredCalls");
    var event =
        new LoggingEvent(
            getClass().getName(),
            logger,
            Level.WARN,
            "Invocation failed: {}",
            thrown,
            new Object[] {"function not found"});
    event.setThreadName("reconciler-1");
    event.setInstant(java.time.Instant.parse("2026-12-07T12:00:00.250Z"));
    List.of(
            new KeyValuePair("namespace", "shop"),
            new KeyValuePair("statusCode", 404),
            new KeyValuePair("retrying", true),
            new KeyValuePair("backoff", Duration.ofSeconds(30)),
            new KeyValuePair("message", "shadow"))
        .forEach(event::addKeyValuePair);
    return event;
  }
}
