package dev.ephemeral.lambda.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** While the gate is closed, a call is neither started nor lost: it stays queued, cancellable. */
class InvocationQueueGateTest {

  private static final ResourceID ID = new ResourceID("api-key", "shop");
  private static final InvocationRequest REQUEST =
      new InvocationRequest(
          "constant",
          null,
          "eu-west-1",
          "{}".getBytes(StandardCharsets.UTF_8),
          null,
          false,
          Duration.ofSeconds(5));

  private final AtomicInteger calls = new AtomicInteger();
  private final LambdaInvoker invoker =
      request -> {
        calls.incrementAndGet();
        return new InvocationResult.Succeeded(200, "1", new byte[0], null);
      };
  private final Gate gate = new Gate();
  private final InvocationQueue<String> queue =
      new InvocationQueue<>(invoker, 1, Clock.systemUTC(), gate);

  @AfterEach
  void close() {
    queue.close();
  }

  @Test
  void aCallWaitsQueuedWhileTheGateIsClosedAndStartsOnceItOpens() {
    assertThat(queue.submit(ID, "uid-1", REQUEST, "context")).isTrue();
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> calls.get() == 0 && queue.get(ID).orElseThrow().state() == InvocationQueue.State.QUEUED);

    gate.open();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> queue.get(ID).orElseThrow().state() == InvocationQueue.State.FINISHED);
    assertThat(calls).hasValue(1);
  }

  @Test
  void aCallHeldAtTheClosedGateCanStillBeCancelled() {
    queue.submit(ID, "uid-1", REQUEST, "context");
    await().atMost(Duration.ofSeconds(2)).until(() -> gate.held() == 1);

    assertThat(queue.cancel(ID, queue.get(ID).orElseThrow())).isTrue();
    gate.open();
    assertThat(queue.submit(ID, "uid-2", REQUEST, "context")).isTrue();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> queue.get(ID).orElseThrow().state() == InvocationQueue.State.FINISHED);
    assertThat(calls).as("only the call that was not cancelled ran").hasValue(1);
    assertThat(queue.get(ID).orElseThrow().uid()).isEqualTo("uid-2");
  }

  @Test
  void aCallHeldAtTheGateIsNotStartedOnceTheQueueClosed() {
    queue.submit(ID, "uid-1", REQUEST, "context");
    await().atMost(Duration.ofSeconds(2)).until(() -> gate.held() == 1);

    queue.close();
    await().atMost(Duration.ofSeconds(2)).until(() -> gate.held() == 0);
    gate.open();
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> calls.get() == 0);
  }

  /** A gate the test opens. */
  private static final class Gate implements CallGate {
    private boolean open;
    private int held;

    synchronized void open() {
      open = true;
      notifyAll();
    }

    synchronized int held() {
      return held;
    }

    @Override
    public synchronized boolean awaitMayStartCall() {
      held++;
      try {
        while (!open) {
          wait();
        }
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } finally {
        held--;
      }
    }
  }
}
