package dev.ephemeral.lambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.emulator.FunctionOutcome;
import dev.ephemeral.lambda.validation.SpecExamples;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One invalid spec per field rule, applied to the API (which, like a cluster without the CRD's
 * rules, accepts it): the operator reports Ready=False InvalidSpec naming the field and never
 * invokes. The same table is rejected by the CRD itself in CrdSchemaValidationTest.
 */
class InvalidSpecTest {

  private static OperatorHarness harness;

  @BeforeAll
  static void start() {
    harness = OperatorHarness.start();
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @Test
  void everyInvalidSpecIsReportedNamingItsFieldWithoutInvoking() {
    List<SpecExamples.Example> examples = SpecExamples.invalid();
    Map<String, SpecExamples.Example> byName = new HashMap<>();
    int index = 0;
    for (var example : examples) {
      LambdaInvocation resource = SpecExamples.toResource(example.object());
      // Each example breaks one rule; one of them is about the name itself, so it keeps its own.
      String name =
          example.field().equals("metadata.name")
              ? resource.getMetadata().getName()
              : "invalid-" + index++;
      resource.getMetadata().setName(name);
      resource.getMetadata().setNamespace(OperatorHarness.NAMESPACE);
      byName.put(name, example);
      harness.create(resource);
    }

    byName.forEach(
        (name, example) -> {
          LambdaInvocation reported = harness.awaitReason(name, "InvalidSpec");
          var condition = reported.getStatus().readyCondition().orElseThrow();
          assertThat(condition.getStatus()).as(example.name()).isEqualTo("False");
          assertThat(condition.getMessage()).as(example.name()).contains(example.field());
          assertThat(reported.getStatus().getSecretName()).isNull();
        });
    // Each reported, and its reconcile over with no call queued: none is coming.
    byName.keySet().forEach(name -> harness.awaitDecided(name, 0));
    assertThat(harness.lambda.invocations()).isEmpty();
    byName.keySet().forEach(name -> assertThat(harness.secret(name)).isNull());
  }

  @Test
  void aSpecMadeInvalidWhileACallRunsIsReportedAfterIt() throws Exception {
    // An operator of its own: the test above counts every call of the shared one.
    try (var own = OperatorHarness.start()) {
      aSpecMadeInvalidWhileACallRuns(own);
    }
  }

  private static void aSpecMadeInvalidWhileACallRuns(OperatorHarness own) throws Exception {
    var release = new CountDownLatch(1);
    own.lambda.function(
        "held", OperatorHarness.heldUntil(release, FunctionOutcome.json(Map.of("api_key", "k"))));
    own.create(OperatorHarness.invocation("edited-during-call", "held", "{}"));
    await().atMost(Duration.ofSeconds(10)).until(() -> own.lambda.invocationCount("held") == 1);
    int startedBefore = own.reconcilesStarted("edited-during-call");

    OperatorHarness.edit(
        own.client(),
        "edited-during-call",
        r -> {
          r.getSpec().setTimeout("0s");
          return r;
        });
    // The edit reaches the operator, and is reconciled, while the call still runs.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                own.reconciles()
                    .settledSince(
                        OperatorHarness.NAMESPACE + "/edited-during-call", startedBefore));
    assertThat(own.operator().inFlight()).isEqualTo(1);
    assertThat(own.secret("edited-during-call")).isNull();
    release.countDown();

    LambdaInvocation reported = own.awaitReason("edited-during-call", "InvalidSpec");
    assertThat(reported.getStatus().readyCondition().orElseThrow().getMessage())
        .contains("spec.timeout");
    assertThat(own.lambda.invocationCount("held")).isEqualTo(1);
  }

  @Test
  void aCallStillWaitingForASlotIsNotMadeOnceTheSpecIsInvalid() throws Exception {
    try (var own = OperatorHarness.startCountingReconciles(OperatorHarness.FAST_RETRIES, 1)) {
      var release = new CountDownLatch(1);
      own.lambda.function(
          "held", OperatorHarness.heldUntil(release, FunctionOutcome.json(Map.of("k", "v"))));
      own.lambda.function("waiting", call -> FunctionOutcome.json(Map.of("k", "v")));
      try {
        own.create(OperatorHarness.invocation("holding", "held", "{}"));
        await().atMost(Duration.ofSeconds(10)).until(() -> own.operator().inFlight() == 1);
        own.create(OperatorHarness.invocation("queued", "waiting", "{}"));
        await().atMost(Duration.ofSeconds(10)).until(() -> own.operator().waiting() == 1);

        OperatorHarness.edit(
            own.client(),
            "queued",
            r -> {
              r.getSpec().setTimeout("0s");
              return r;
            });

        own.awaitReason("queued", "InvalidSpec");
      } finally {
        release.countDown();
      }
      own.awaitReason("holding", "Invoked");
      // The slot is free again: a call of queued still waiting would run now.
      own.awaitDecided("queued", 0);
      own.awaitDecided("holding", 0);
      assertThat(own.lambda.invocationCount("waiting")).isZero();
    }
  }
}
