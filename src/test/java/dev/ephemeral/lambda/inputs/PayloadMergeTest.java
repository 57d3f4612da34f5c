package dev.ephemeral.lambda.inputs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.ephemeral.lambda.model.PayloadSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where a value goes in the payload, and when it cannot go there. */
class PayloadMergeTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest(name = "{1} into {0} gives {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        // a member is added, or replaced
        "{}                 | /host        | {\"host\":\"v\"}",
        "{\"host\":\"x\"}   | /host        | {\"host\":\"v\"}",
        // missing objects on the way are created
        "{}                 | /db/host     | {\"db\":{\"host\":\"v\"}}",
        "{\"db\":{\"p\":1}} | /db/host     | {\"db\":{\"p\":1,\"host\":\"v\"}}",
        // arrays: an index replaces, '-' appends
        "{\"a\":[1,2]}      | /a/0         | {\"a\":[\"v\",2]}",
        "{\"a\":[1,2]}      | /a/-         | {\"a\":[1,2,\"v\"]}",
        "[1]                | /-           | [1,\"v\"]",
        "{\"a\":[{}]}       | /a/0/b       | {\"a\":[{\"b\":\"v\"}]}",
        // escapes: ~1 is '/', ~0 is '~'
        "{}                 | /a~1b/c~0d   | {\"a/b\":{\"c~d\":\"v\"}}",
        // the empty pointer replaces the whole payload
        "{\"x\":1}          | ''           | \"v\"",
        // an empty token is a member named ""
        "{}                 | /            | {\"\":\"v\"}",
      })
  void writesTheValueAtThePointer(String payload, String pointer, String merged) throws Exception {
    var result = PayloadMerge.merge(JSON.readTree(payload), List.of(input(pointer)));

    assertThat(result).isInstanceOf(PayloadMerge.Merged.class);
    assertThat(((PayloadMerge.Merged) result).payload()).isEqualTo(JSON.readTree(merged));
  }

  @ParameterizedTest(name = "{1} into {0}: {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"text\"         | /host   | the payload is a string, not an object or an array",
        "42               | /host   | the payload is a number",
        "{\"db\":\"x\"}   | /db/host | the payload's /db is a string",
        "{\"db\":null}    | /db/host | the payload's /db is null",
        "{\"a\":[1]}      | /a/1    | the payload's /a is an array of 1 elements, and '1' is not"
            + " one of its indexes",
        "{\"a\":[1]}      | /a/x    | 'x' is not one of its indexes",
        "{\"a\":[]}       | /a/0/b  | the payload's /a is an array of 0 elements",
      })
  void reportsWhatIsInTheWay(String payload, String pointer, String message) throws Exception {
    var result = PayloadMerge.merge(JSON.readTree(payload), List.of(input(pointer)));

    assertThat(result).isInstanceOf(PayloadMerge.Failed.class);
    assertThat(((PayloadMerge.Failed) result).message())
        .startsWith("spec.payloadFrom[0].pointer: " + pointer + " cannot be written")
        .contains(message);
  }

  @Test
  void entriesApplyInOrderAndTheGivenPayloadIsUnchanged() throws Exception {
    JsonNode payload = JSON.readTree("{\"db\":{}}");
    var result =
        PayloadMerge.merge(
            payload,
            List.of(
                new PayloadMerge.Input(source(0, "/db"), JSON.readTree("{\"port\":1}")),
                new PayloadMerge.Input(source(1, "/db/host"), TextNode.valueOf("h")),
                new PayloadMerge.Input(source(2, "/db/port"), JSON.readTree("2"))));

    assertThat(((PayloadMerge.Merged) result).payload())
        .isEqualTo(JSON.readTree("{\"db\":{\"port\":2,\"host\":\"h\"}}"));
    assertThat(payload).isEqualTo(JSON.readTree("{\"db\":{}}"));
  }

  @Test
  void messagesNameTheEntryAndNeverAValue() throws Exception {
    var result =
        PayloadMerge.merge(
            JSON.readTree("{\"db\":\"very-secret-text\"}"),
            List.of(
                new PayloadMerge.Input(source(0, "/x"), TextNode.valueOf("a")),
                new PayloadMerge.Input(source(1, "/db/host"), TextNode.valueOf("other-secret"))));

    String message = ((PayloadMerge.Failed) result).message();
    assertThat(message).startsWith("spec.payloadFrom[1].pointer: /db/host");
    assertThat(message).doesNotContain("very-secret-text").doesNotContain("other-secret");
  }

  private static PayloadMerge.Input input(String pointer) {
    return new PayloadMerge.Input(source(0, pointer), TextNode.valueOf("v"));
  }

  private static PayloadSource source(int index, String pointer) {
    return new PayloadSource(
        index,
        PayloadSource.Kind.ConfigMap,
        "db",
        "key",
        false,
        false,
        JsonPointer.compile(pointer));
  }
}
