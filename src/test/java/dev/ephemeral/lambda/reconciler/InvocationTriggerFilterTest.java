package dev.ephemeral.lambda.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The controller runs with triggerReconcilerOnAllEvents, so java-operator-sdk filters no update of
 * a LambdaInvocation by itself: this filter alone keeps the operator's own writes (status,
 * finalizer) and other metadata edits from starting a reconcile.
 */
class InvocationTriggerFilterTest {

  private final InvocationTriggerFilter filter = new InvocationTriggerFilter();

  private boolean accepts(Consumer<LambdaInvocation> change) {
    return accepts(Fixtures.resource(3, "a"), change);
  }

  private boolean accepts(LambdaInvocation old, Consumer<LambdaInvocation> change) {
    var next = Fixtures.resource(3, "a");
    next.getMetadata().setAnnotations(old.getMetadata().getAnnotations());
    next.getMetadata().setFinalizers(old.getMetadata().getFinalizers());
    next.getMetadata().setDeletionTimestamp(old.getMetadata().getDeletionTimestamp());
    change.accept(next);
    return filter.accept(next, old);
  }

  @Test
  void triggersPass() {
    assertThat(accepts(r -> r.getMetadata().setGeneration(4L))).as("spec change").isTrue();
    assertThat(accepts(r -> r.getMetadata().setAnnotations(annotations("b"))))
        .as("a new invoke-requested-at value")
        .isTrue();
    assertThat(accepts(r -> r.getMetadata().setDeletionTimestamp("2026-12-01T00:00:00Z")))
        .as("the start of a deletion")
        .isTrue();
  }

  @Test
  void theOperatorsOwnWritesAndOtherMetadataEditsDoNot() {
    assertThat(accepts(r -> r.setStatus(new LambdaInvocationStatus()))).as("status").isFalse();
    assertThat(accepts(r -> r.getMetadata().setFinalizers(List.of(OnDeleteFinalizer.NAME))))
        .as("the onDelete finalizer added")
        .isFalse();
    assertThat(accepts(r -> r.getMetadata().setLabels(Map.of("team", "shop"))))
        .as("a label")
        .isFalse();
    assertThat(
            accepts(
                r -> {
                  var annotations = new java.util.HashMap<>(annotations("a"));
                  annotations.put("note", "x");
                  r.getMetadata().setAnnotations(annotations);
                }))
        .as("another annotation")
        .isFalse();
    assertThat(accepts(r -> r.getMetadata().setResourceVersion("99")))
        .as("a new resourceVersion alone")
        .isFalse();
  }

  @Test
  void aResourceAlreadyBeingDeletedIsNotBroughtBackByTheRemovalOfAFinalizer() {
    var deleting = Fixtures.resource(3, "a");
    deleting.getMetadata().setDeletionTimestamp("2026-12-01T00:00:00Z");
    deleting
        .getMetadata()
        .setFinalizers(List.of(OnDeleteFinalizer.NAME, "example.com/hold"));

    assertThat(accepts(deleting, r -> r.getMetadata().setFinalizers(List.of("example.com/hold"))))
        .isFalse();
  }

  private static Map<String, String> annotations(String invokeRequest) {
    return Map.of(LambdaInvocation.INVOKE_REQUESTED_AT_ANNOTATION, invokeRequest);
  }
}
