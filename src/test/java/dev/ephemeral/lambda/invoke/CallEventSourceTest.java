package dev.ephemeral.lambda.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The call event source without any API server: its worker pool (the in-flight limit, first in
 * first out), cancelling a waiting call, the event that brings a resource back once its call
 * finished, and what a deletion does to a call.
 */
class CallEventSourceTest {

  /** A Lambda stand-in whose calls each wait until the test releases their function. */
  private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();

  private final List<String> started = new CopyOnWriteArrayList<>();
  private final List<ResourceID> events = new CopyOnWriteArrayList<>();
  private final AtomicBoolean gateOpen = new AtomicBoolean(true);

  /** A gate the test opens and closes; a closed one holds each call until it opens. */
  private final CallGate gate =
      () -> {
        while (!gateOpen.get()) {
          try {
            TimeUnit.MILLISECONDS.sleep(10);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        }
        return true;
      };

  private final LambdaInvoker invoker =
      request -> {
        started.add(request.functionName());
        try {
          holds
              .computeIfAbsent(request.functionName(), f -> new CountDownLatch(1))
              .await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (request.functionName().startsWith("broken")) {
          throw new IllegalStateException("a bug in the invoker");
        }
        return new InvocationResult.Succeeded(
            200, "1", "{}".getBytes(StandardCharsets.UTF_8), null);
      };

  private CallEventSource<String> source;

  private CallEventSource<String> source(int maxInFlight) {
    source = new CallEventSource<>(invoker, maxInFlight, Clock.systemUTC(), gate);
    source.setEventHandler(event -> events.add(event.getRelatedCustomResourceID()));
    source.start();
    return source;
  }

  @AfterEach
  void close() {
    holds.values().forEach(CountDownLatch::countDown);
    if (source != null) {
      source.stop();
    }
  }

  @Test
  void noMoreCallsRunThanTheLimitAndTheRestWaitInOrderOfArrival() {
    var calls = source(2);
    for (int i = 1; i <= 5; i++) {
      assertThat(calls.submit(resource("r" + i), request("f" + i), "context " + i)).isTrue();
    }

    await().until(() -> calls.inFlight() == 2);
    assertThat(calls.waiting()).isEqualTo(3);
    assertThat(started).containsExactlyInAnyOrder("f1", "f2");

    // Each freed slot goes to the call that has waited longest.
    release("f2");
    await().until(() -> started.size() == 3);
    assertThat(started.get(2)).isEqualTo("f3");
    release("f1");
    await().until(() -> started.size() == 4);
    assertThat(started.get(3)).isEqualTo("f4");
    release("f3");
    await().until(() -> started.size() == 5);
    assertThat(started.get(4)).isEqualTo("f5");
    assertThat(calls.inFlight()).isLessThanOrEqualTo(2);
  }

  @Test
  void aResourceHasOneCallAtATime() {
    var calls = source(2);
    var resource = resource("r");
    assertThat(calls.submit(resource, request("f"), "first")).isTrue();
    assertThat(calls.submit(resource, request("f"), "second")).isFalse();
    assertThat(calls.getSecondaryResources(resource))
        .singleElement()
        .satisfies(c -> assertThat(c.context()).isEqualTo("first"));
  }

  @Test
  void aFinishedCallBringsItsResourceBackAndStaysUntilConsumed() {
    var calls = source(1);
    var resource = resource("r");
    calls.submit(resource, request("f"), "context");
    await().until(() -> calls.inFlight() == 1);
    assertThat(events).isEmpty();

    release("f");

    await().until(() -> events.contains(ResourceID.fromResource(resource)));
    var call = calls.getSecondaryResources(resource).iterator().next();
    assertThat(call.state()).isEqualTo(Call.State.FINISHED);
    assertThat(call.result()).isInstanceOf(InvocationResult.Succeeded.class);
    assertThat(call.latency().isNegative()).isFalse();

    calls.consume(resource, call);
    assertThat(calls.getSecondaryResources(resource)).isEmpty();
  }

  @Test
  void anInvokerBugEndsInAClassifiedFailureNotALostCall() {
    var calls = source(1);
    var resource = resource("r");
    release("broken");
    calls.submit(resource, request("broken"), "context");

    await().until(() -> events.contains(ResourceID.fromResource(resource)));
    var call = calls.getSecondaryResources(resource).iterator().next();
    assertThat(call.result())
        .isInstanceOfSatisfying(
            InvocationResult.Failed.class,
            f -> {
              assertThat(f.reason()).isEqualTo(ReadyReason.InvocationFailed);
              assertThat(f.retry()).isEqualTo(RetryClass.BACKOFF);
              assertThat(f.message()).contains("IllegalStateException");
            });
  }

  @Test
  void aCancelledWaitingCallIsNeverMadeButARunningOneCannotBeCancelled() {
    var calls = source(1);
    var running = resource("running");
    var waiting = resource("waiting");
    calls.submit(running, request("slow"), "a");
    calls.submit(waiting, request("never"), "b");
    await().until(() -> calls.inFlight() == 1);

    assertThat(calls.cancel(waiting, only(calls, waiting))).isTrue();
    assertThat(calls.waiting()).isZero();
    assertThat(calls.getSecondaryResources(waiting)).isEmpty();
    assertThat(calls.cancel(running, only(calls, running))).isFalse();

    release("slow");
    await().until(() -> events.contains(ResourceID.fromResource(running)));
    assertThat(started).containsExactly("slow");
  }

  @Test
  void aDeletedResourcesCallsAreDroppedAndARunningOnesResultWithIt() {
    var calls = source(1);
    var running = resource("running");
    var waiting = resource("waiting");
    calls.submit(running, request("slow"), "a");
    calls.submit(waiting, request("never"), "b");
    await().until(() -> calls.inFlight() == 1);

    calls.onResourceDeleted(waiting);
    calls.onResourceDeleted(running);
    assertThat(calls.getSecondaryResources(waiting)).isEmpty();

    release("slow");
    // The finish still brings the name back (a successor may wait for it), with nothing left.
    await().until(() -> events.contains(ResourceID.fromResource(running)));
    assertThat(calls.getSecondaryResources(running)).isEmpty();
    assertThat(started).containsExactly("slow");
  }

  @Test
  void aFinishedCallOfADeletedResourceIsDropped() {
    var calls = source(1);
    var resource = resource("r");
    release("f");
    calls.submit(resource, request("f"), "context");
    await().until(() -> events.contains(ResourceID.fromResource(resource)));

    calls.onResourceDeleted(resource);

    assertThat(calls.getSecondaryResources(resource)).isEmpty();
  }

  @Test
  void aClosedGateHoldsTheNextCallInLineUntilItOpens() {
    var calls = source(1);
    gateOpen.set(false);
    var first = resource("first");
    var second = resource("second");
    release("f");
    release("g");
    calls.submit(first, request("f"), "a");
    calls.submit(second, request("g"), "b");

    // No call starts while the gate is closed; both stay, in order.
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> started.isEmpty() && calls.getSecondaryResources(first).size() == 1);
    assertThat(calls.waiting()).isEqualTo(1);

    gateOpen.set(true);
    await().until(() -> started.size() == 2);
    assertThat(started).containsExactly("f", "g");
  }

  @Test
  void aCallHeldAtAClosedGateIsDroppedWhenItsResourceIsDeleted() {
    var calls = source(1);
    gateOpen.set(false);
    var resource = resource("r");
    release("f");
    calls.submit(resource, request("f"), "a");

    calls.onResourceDeleted(resource);
    gateOpen.set(true);

    await().until(() -> calls.getSecondaryResources(resource).isEmpty());
    await().during(Duration.ofMillis(200)).until(started::isEmpty);
  }

  @Test
  void aCallHeldAtAClosedGateIsNotStartedOnceTheSourceStops() {
    var calls = source(1);
    gateOpen.set(false);
    release("f");
    calls.submit(resource("r"), request("f"), "a");

    calls.stop();
    gateOpen.set(true);

    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(started::isEmpty);
  }

  @Test
  void eachResourceIsAFirstDecisionOncePerProcessAndAgainWhenRecreated() {
    var calls = source(1);
    var resource = resource("r");
    assertThat(calls.firstDecision(resource)).isTrue();
    assertThat(calls.firstDecision(resource)).isFalse();

    calls.onResourceDeleted(resource);

    assertThat(calls.firstDecision(resource)).isTrue();
  }

  @Test
  void aStoppedSourceTakesNoCallsAndSettlesOnceRunningOnesAreStored() throws Exception {
    var calls = source(1);
    var resource = resource("r");
    calls.submit(resource, request("f"), "context");
    await().until(() -> calls.inFlight() == 1);

    calls.stopAccepting();
    assertThat(calls.submit(resource("other"), request("g"), "x")).isFalse();
    assertThat(calls.awaitSettled(Duration.ofMillis(50))).isFalse();

    release("f");
    await().until(() -> events.contains(ResourceID.fromResource(resource)));
    calls.consume(resource, only(calls, resource));
    assertThat(calls.awaitSettled(Duration.ofSeconds(5))).isTrue();
  }

  private void release(String function) {
    holds.computeIfAbsent(function, f -> new CountDownLatch(1)).countDown();
  }

  private static Call<String> only(CallEventSource<String> calls, LambdaInvocation resource) {
    return calls.getSecondaryResources(resource).iterator().next();
  }

  private static InvocationRequest request(String function) {
    return new InvocationRequest(
        function, null, null, "{}".getBytes(StandardCharsets.UTF_8), null, false, Duration.ofSeconds(5));
  }

  private static LambdaInvocation resource(String name) {
    var resource = new LambdaInvocation();
    resource.setMetadata(
        new ObjectMetaBuilder().withNamespace("shop").withName(name).withUid("uid-" + name).build());
    return resource;
  }
}
