package dev.ephemeral.lambda.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.secret.SecretTemplates.Failed;
import dev.ephemeral.lambda.secret.SecretTemplates.Rendered;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretTemplatesTest {

  private static final String SENTINEL = "s3ntinel-9f8e7d6c";
  private static final String RESULT =
      "{\"user\":\"app\",\"password\":\""
          + SENTINEL
          + "\",\"port\":5432,\"ratio\":1.10,\"tags\":[\"a\",\"b\"],\"nested\":{\"host\":\"db\"},"
          + "\"b64\":\"aGVsbG8=\",\"empty\":\"\",\"none\":null}";

  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void fieldsAreJoinedIntoOneValue() {
    assertThat(render("{{ result.user }}:{{ result.password }}")).isEqualTo("app:" + SENTINEL);
  }

  @Test
  void nestedFieldsArrayItemsNumbersAndConcatenationRender() {
    assertThat(
            render(
                "postgres://{{ result.nested.host }}:{{ result.port }}/{{ result.tags[1] }}"
                    + "?r={{ result.ratio }}&t={{ result.tags[0] ~ '-' ~ result.user }}"))
        .isEqualTo("postgres://db:5432/b?r=1.10&t=a-app");
  }

  /**
   * Numbers print as the function wrote them: not as Infinity, nor spelled out in 401 digits, nor
   * refused for their length; comparisons still use their value.
   */
  @Test
  void numbersRenderAsTheFunctionWroteThem() {
    String digits = "3".repeat(1_200);
    byte[] result =
        ("{\"huge\":1e400,\"big\":12345678901234567890123,\"exp\":1.5e3,\"long\":"
                + digits
                + "}")
            .getBytes(StandardCharsets.UTF_8);

    var rendering =
        SecretTemplates.render(
            Map.of(
                "k",
                "{{ result.huge }} {{ result.big }} {{ result.exp }} {{ result.exp | json }}"
                    + " {{ result.huge > 1000 }} {{ result.exp == 1500 }}",
                "long",
                "{{ result.long }}"),
            result,
            mapper);

    assertThat(rendering)
        .asInstanceOf(type(Rendered.class))
        .satisfies(
            rendered -> {
              assertThat(new String(rendered.data().get("k"), StandardCharsets.UTF_8))
                  .isEqualTo("1e400 12345678901234567890123 1.5e3 1.5e3 true true");
              assertThat(new String(rendered.data().get("long"), StandardCharsets.UTF_8))
                  .isEqualTo(digits);
            });
  }

  @Test
  void base64EncodeAndDecodeFilters() {
    assertThat(render("{{ (result.user ~ ':' ~ result.password) | base64encode }}"))
        .isEqualTo(
            Base64.getEncoder()
                .encodeToString(("app:" + SENTINEL).getBytes(StandardCharsets.UTF_8)));
    assertThat(render("{{ result.b64 | base64decode }}")).isEqualTo("hello");
  }

  @Test
  void jsonFilterWritesValuesAsJson() {
    assertThat(render("{{ result.nested | json }}")).isEqualTo("{\"host\":\"db\"}");
    assertThat(render("{{ result.tags | json }}")).isEqualTo("[\"a\",\"b\"]");
    assertThat(render("{{ result.user | json }}")).isEqualTo("\"app\"");
    assertThat(
            render(
                "{\"auths\":{\"registry.example\":{\"auth\":{{ (result.user ~ ':' ~"
                    + " result.password) | base64encode | json }}}}}"))
        .startsWith("{\"auths\":{\"registry.example\":{\"auth\":\"");
  }

  @Test
  void joinIfDefaultAndTestsWork() {
    assertThat(render("{{ result.tags | join(',') }}")).isEqualTo("a,b");
    assertThat(render("{% if result.port > 1000 %}high{% else %}low{% endif %}")).isEqualTo("high");
    assertThat(render("{{ result.missing | default('fallback') }}")).isEqualTo("fallback");
    assertThat(render("{% if result.missing is defined %}yes{% else %}no{% endif %}"))
        .isEqualTo("no");
    assertThat(render("{{ result.empty is empty ? 'blank' : 'set' }}")).isEqualTo("blank");
    assertThat(render("{{ result.user | upper }}")).isEqualTo("APP");
  }

  @Test
  void theSyntaxTheReadmeShowsWorks() {
    assertThat(render("{{ result['nested']['host'] }}")).isEqualTo("db");
    assertThat(render("a {{- ' b ' -}} c")).isEqualTo("a b c");
    assertThat(render("[{{ result.none }}]")).isEqualTo("[]");
    assertThat(render("{{ result.ratio | json }}")).isEqualTo("1.10");
    assertThat(render("{{ result.tags contains 'b' ? 'yes' : 'no' }}")).isEqualTo("yes");
    assertThat(render("{% if result.none is null and not (result.user == 'x') %}ok{% endif %}"))
        .isEqualTo("ok");
    assertThat(render("{{ result.user | sha256 | length }}")).isEqualTo("64");
    assertThat(failure(Map.of("k", "{{ result.port | base64decode }}")).message())
        .contains("another type");
  }

  @Test
  void aWholeNonObjectResultIsTheVariableResult() {
    var rendering =
        SecretTemplates.render(
            Map.of("k", "{{ result | upper }}"),
            "\"plain\"".getBytes(StandardCharsets.UTF_8),
            mapper);
    assertThat(rendering)
        .asInstanceOf(type(Rendered.class))
        .extracting(r -> new String(r.data().get("k"), StandardCharsets.UTF_8))
        .isEqualTo("PLAIN");
  }

  @Test
  void aMissingFieldFailsNamingTheKeyAndLineButNoValue() {
    Failed failed = failure(Map.of("dsn", "{{ result.user }}\n{{ result.nope }}"));

    assertThat(failed.key()).isEqualTo("dsn");
    assertThat(failed.message())
        .contains("spec.secret.template.dsn")
        .contains("does not have")
        .contains("line 2")
        .doesNotContain(SENTINEL)
        .doesNotContain("app");
  }

  @Test
  void aValueOfTheWrongTypeFailsWithoutQuotingIt() {
    Failed failed = failure(Map.of("k", "{{ result.password | base64decode }}"));
    assertThat(failed.message()).contains("another type").doesNotContain(SENTINEL);

    Failed join = failure(Map.of("k", "{{ result.password | join(',') }}"));
    assertThat(join.message()).doesNotContain(SENTINEL);
  }

  @Test
  void noKeyIsRenderedWhenOneFails() {
    var rendering =
        SecretTemplates.render(
            Map.of("a", "{{ result.user }}", "b", "{{ result.nope }}"),
            RESULT.getBytes(StandardCharsets.UTF_8),
            mapper);
    assertThat(rendering).isInstanceOf(Failed.class);
  }

  @Test
  void aResultThatIsNotJsonFails() {
    var rendering =
        SecretTemplates.render(
            Map.of("a", "{{ result }}"), "not json".getBytes(StandardCharsets.UTF_8), mapper);
    assertThat(rendering)
        .asInstanceOf(type(Failed.class))
        .extracting(Failed::message)
        .asString()
        .contains("not JSON");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{{ result.getClass() }}",
        "{{ result.user.getClass().forName('java.lang.Runtime') }}",
        "{{ result.password.toUpperCase() }}",
        "{% include 'file:///etc/passwd' %}",
        "{% import 'other' %}",
        "{% extends 'base' %}",
        "{% embed 'x' %}{% endembed %}",
        "{% from 'x' import y %}",
        "{% macro m() %}{{ m() }}{% endmacro %}",
        "{% for i in range(0, 100000000) %}{% endfor %}",
        "{% for x in result.tags %}{% for y in result.tags %}{% endfor %}{% endfor %}",
        "{% set big = result.password ~ result.password %}",
        "{% parallel %}x{% endparallel %}",
        "{% cache 'k' %}x{% endcache %}",
        "{{ range(0, 1000000000) | join(',') }}",
        "{{ (0..100000000) | join(',') }}",
        "{{ [result.password, result.password] | join }}",
        "{{ {'a': result.password} | json }}",
        "{{ result.password * 1000000 }}",
        "{{ result.password + result.password }}",
        "{{ result.password | replace({'s': result.password}) }}",
        "{{ result.password | split('(a+)+b') }}",
        "{{ result.password | date('yyyy') }}",
        "{{ i18n('messages', 'key') }}",
        "{{ max(1, 2) }}",
        "{{ result.password | raw }}",
        "{{ result.password | escape }}",
        "{% autoescape 'html' %}{{ result.user }}{% endautoescape %}",
        "{{ block('x') }}",
        "{{ parent() }}",
        "{% flush %}",
        "{% filter upper %}x{% endfilter %}",
        "{{ result.user",
        "{{ _context.result }}",
        "{{ password }}",
      })
  void hostileOrUnsupportedTemplatesDoNotCompile(String template) {
    assertThat(SecretTemplates.compileProblem(template)).isPresent();
  }

  @Test
  void aRefusedTemplateSaysWhatIsNotAllowed() {
    assertThat(SecretTemplates.compileProblem("{{ result.getClass() }}"))
        .hasValueSatisfying(message -> assertThat(message).contains("method calls"));
    assertThat(SecretTemplates.compileProblem("{{ range(1, 3) }}"))
        .hasValueSatisfying(message -> assertThat(message).contains("function calls"));
    assertThat(SecretTemplates.compileProblem("{{ result | replace({}) }}"))
        .hasValueSatisfying(
            message -> assertThat(message).contains("filter replace").contains("base64encode"));
    assertThat(SecretTemplates.compileProblem("{{ user }}"))
        .hasValueSatisfying(message -> assertThat(message).contains("the only variable is result"));
    assertThat(SecretTemplates.compileProblem("{% for x in result %}{% endfor %}"))
        .hasValueSatisfying(message -> assertThat(message).contains("for"));
  }

  @Test
  void attributesThatAreJavaMembersAreNotFound() {
    for (String template :
        new String[] {
          "{{ result.class }}",
          "{{ result.user.class }}",
          "{{ result.user.bytes }}",
          "{{ result.user.empty }}",
          "{{ result.tags.size }}",
          "{{ result.user.CASE_INSENSITIVE_ORDER }}",
        }) {
      assertThat(SecretTemplates.compileProblem(template)).as(template).isEmpty();
      assertThat(failure(Map.of("k", template)).message()).as(template).contains("does not have");
    }
  }

  @Test
  @Timeout(10)
  void valuesLongerThanASecretAreRefusedBeforeTheyAreBuilt() {
    String doubling = "result.password" + " ~ result.password".repeat(200);
    String template = "{{ " + ("(" + doubling + ") ~ ").repeat(10) + "'' }}";
    assertThat(SecretTemplates.compileProblem(template)).isEmpty();
    String big = "x".repeat(600_000);
    byte[] payload = ("{\"password\":\"" + big + "\"}").getBytes(StandardCharsets.UTF_8);

    var rendering = SecretTemplates.render(Map.of("k", template), payload, mapper);

    assertThat(rendering)
        .asInstanceOf(type(Failed.class))
        .extracting(Failed::message)
        .asString()
        .contains("longer than a Secret holds")
        .doesNotContain("xxxx");
  }

  @Test
  @Timeout(10)
  void aFilterOutputLongerThanASecretIsRefused() {
    byte[] payload = ("{\"p\":\"" + "%".repeat(400_000) + "\"}").getBytes(StandardCharsets.UTF_8);

    var rendering =
        SecretTemplates.render(Map.of("k", "{{ result.p | urlencode }}"), payload, mapper);

    assertThat(rendering)
        .asInstanceOf(type(Failed.class))
        .extracting(Failed::message)
        .asString()
        .contains("longer than a Secret holds");
  }

  @Test
  @Timeout(10)
  void joinOfALongListIsBoundedBeforeItIsBuilt() {
    String sep = "y".repeat(4000);
    String template = "{{ result.items | join('" + sep + "') }}";
    byte[] payload =
        ("{\"items\":[" + "1,".repeat(100_000) + "1]}").getBytes(StandardCharsets.UTF_8);

    assertThat(SecretTemplates.render(Map.of("k", template), payload, mapper))
        .isInstanceOf(Failed.class);
  }

  @Test
  void deeplyNestedTemplatesAreRefusedCleanly() {
    String template = "{{ " + "(".repeat(2000) + "result" + ")".repeat(2000) + " }}";
    // Either it compiles and renders, or it is refused with a message: never an exception.
    var problem = SecretTemplates.compileProblem(template);
    if (problem.isEmpty()) {
      assertThat(
              SecretTemplates.render(
                  Map.of("k", template), "1".getBytes(StandardCharsets.UTF_8), mapper))
          .isNotNull();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{{",
        "{%",
        "{% if %}",
        "{% if result %}",
        "{% endif %}",
        "{{ result | }}",
        "{{ result. }}",
        "{{ result[ }}",
        "{{ result | json( }}",
        "{{ 'a' ~ }}",
        "{{ ? : }}",
        "{{ result is }}",
        "{% else %}",
        "{{ result | default(}}",
        "{{ \"unclosed }}"
      })
  void malformedTemplatesAreProblemsNotExceptions(String template) {
    assertThat(SecretTemplates.compileProblem(template)).isPresent();
  }

  @Test
  void aParseErrorNamesTheProblemAndLine() {
    assertThat(SecretTemplates.compileProblem("ok\n{{ result.user"))
        .hasValueSatisfying(message -> assertThat(message).contains("line 2"));
  }

  private String render(String template) {
    var rendering =
        SecretTemplates.render(
            Map.of("k", template), RESULT.getBytes(StandardCharsets.UTF_8), mapper);
    assertThat(rendering).as(template).isInstanceOf(Rendered.class);
    return new String(((Rendered) rendering).data().get("k"), StandardCharsets.UTF_8);
  }

  private Failed failure(Map<String, String> templates) {
    var rendering =
        SecretTemplates.render(templates, RESULT.getBytes(StandardCharsets.UTF_8), mapper);
    assertThat(rendering).isInstanceOf(Failed.class);
    return (Failed) rendering;
  }
}
