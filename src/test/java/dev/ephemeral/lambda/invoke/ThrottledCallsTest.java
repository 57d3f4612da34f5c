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
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Throttled calls in the call queue: a throttled call (the function did not run) finishes as
 * Throttled for its resource to retry; a call of a function paused by a throttle waits aside while
 * other functions' calls go on, and runs once the pause is over; a call waiting aside can still be
 * cancelled.
 */
class ThrottledCallsTest {

  private volatile Instant now = Instant.parse("2026-12-07T10:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };

  private final List<String> sent = new CopyOnWriteArrayList<>();
  private final List<ResourceID> events = new CopyOnWriteArrayList<>();
  private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();

  /** Throttles left to answer per function, before it runs. */
  private final Map<String, AtomicInteger> throttlesLeft = new ConcurrentHashMap<>();

  private final LambdaInvoker invoker =
      request -> {
        String function = request.functionName();
        sent.add(function);
        var left = throttlesLeft.get(function);
        if (left != null && left.getAndDecrement() > 0) {
          return new InvocationResult.Failed(
              ReadyReason.Throttled,
              RetryClass.THROTTLED,
              "Lambda is throttling (HTTP 429 TooManyRequestsException)",
              Optional.of(Duration.ofHours(1)),
              Optional.of(ThrottleScope.FUNCTION));
        }
        try {
          var hold = holds.get(function);
          if (hold != null) {
            hold.await(30, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return new InvocationResult.Succeeded(
            200, "1", "{}".getBytes(StandardCharsets.UTF_8), null);
      };

  private CallEventSource<String> source;

  @AfterEach
  void close() {
    holds.values().forEach(CountDownLatch::countDown);
    if (source != null) {
      source.stop();
    }
  }

  @Test
  void aThrottledCallFinishesAsThrottledAndTheRetryWaitsAsideWhileOtherFunctionsRun() {
    var calls = source(2);
    throttlesLeft.put("limited", new AtomicInteger(1));
    holds.put("other", new CountDownLatch(1));
    var limited = resource("limited");

    calls.submit(limited, request("limited"), "limited");
    await().until(() -> only(calls, limited).isFinished());
    var throttled = (InvocationResult.Failed) only(calls, limited).result();
    assertThat(throttled.reason()).isEqualTo(ReadyReason.Throttled);
    calls.consume(limited, only(calls, limited));

    // The resource's retry comes within the function's pause (its Retry-After): it waits aside,
    // and the other function's calls take both slots meanwhile.
    calls.submit(limited, request("limited"), "retry");
    calls.submit(resource("o1"), request("other"), "o1");
    calls.submit(resource("o2"), request("other"), "o2");
    await().until(() -> calls.inFlight() == 2 && sent.size() == 3);
    assertThat(calls.waiting()).isEqualTo(1);
    assertThat(only(calls, limited).state()).isEqualTo(Call.State.QUEUED);

    now = now.plus(Duration.ofHours(1));
    holds.get("other").countDown();

    await().until(() -> only(calls, limited).isFinished());
    assertThat(only(calls, limited).result()).isInstanceOf(InvocationResult.Succeeded.class);
    assertThat(sent.stream().filter("limited"::equals)).hasSize(2);
    assertThat(events).contains(ResourceID.fromResource(limited));
  }

  @Test
  void aCancelledCallWaitingAsideIsNeverMade() {
    var calls = source(2);
    throttlesLeft.put("limited", new AtomicInteger(1));
    var limited = resource("limited");
    calls.submit(limited, request("limited"), "limited");
    await().until(() -> only(calls, limited).isFinished());
    calls.consume(limited, only(calls, limited));
    calls.submit(limited, request("limited"), "retry");
    await().until(() -> calls.waiting() == 1);

    assertThat(calls.cancel(limited, only(calls, limited))).isTrue();
    now = now.plus(Duration.ofHours(1));
    calls.submit(resource("o1"), request("other"), "o1");

    await().until(() -> sent.contains("other") && calls.inFlight() == 0);
    assertThat(calls.waiting()).isZero();
    assertThat(sent).containsExactly("limited", "other");
  }

  private CallEventSource<String> source(int maxInFlight) {
    source = new CallEventSource<>(invoker, maxInFlight, clock, CallGate.OPEN);
    source.setEventHandler(event -> events.add(event.getRelatedCustomResourceID()));
    source.start();
    return source;
  }

  private static Call<String> only(CallEventSource<String> calls, LambdaInvocation resource) {
    return calls.getSecondaryResources(resource).iterator().next();
  }

  private static LambdaInvocation resource(String name) {
    var resource = new LambdaInvocation();
    resource.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace("shop").withUid("uid-" + name).build());
    return resource;
  }

  private static InvocationRequest request(String function) {
    return new InvocationRequest(
        function, null, "eu-west-1", new byte[0], null, false, Duration.ofSeconds(5));
  }
}
