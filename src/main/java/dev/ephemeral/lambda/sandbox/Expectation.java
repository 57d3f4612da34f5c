package dev.ephemeral.lambda.sandbox;

import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import java.util.Set;

/** The state a file expects a LambdaInvocation to reach: Ready, or a named reason. */
record Expectation(String reason) {

  /** Annotation naming the expected Ready reason, such as FunctionError or Expired. */
  static final String ANNOTATION = "sandbox.lambda.ephemeral.dev/expect";

  /** Reasons that mean a retry is still under way. */
  private static final Set<String> IN_PROGRESS =
      Set.of(
          ReadyReason.FunctionError.name(),
          ReadyReason.Throttled.name(),
          ReadyReason.InvocationTimeout.name(),
          ReadyReason.InvocationFailed.name());

  static Expectation of(LambdaInvocation resource) {
    var annotations = resource.getMetadata().getAnnotations();
    String expected = annotations == null ? null : annotations.get(ANNOTATION);
    return new Expectation(
        expected == null || expected.isBlank() ? ReadyReason.Invoked.name() : expected.trim());
  }

  static String reasonOf(LambdaInvocation resource) {
    if (resource.getStatus() == null
        || !resource
            .getMetadata()
            .getGeneration()
            .equals(resource.getStatus().getObservedGeneration())) {
      return null;
    }
    return resource.getStatus().readyCondition().map(c -> c.getReason()).orElse(null);
  }

  boolean isMet(LambdaInvocation resource) {
    return reason.equals(reasonOf(resource));
  }

  /** Whether waiting longer cannot change the outcome: met, or failed with no retry pending. */
  boolean isSettled(LambdaInvocation resource) {
    String current = reasonOf(resource);
    if (current == null) {
      return false;
    }
    if (isMet(resource)) {
      return true;
    }
    if (current.equals(ReadyReason.Invoked.name())) {
      // Ready, but expected to expire (or fail) later: keep waiting.
      return false;
    }
    if (!IN_PROGRESS.contains(current)) {
      return true;
    }
    String message = resource.getStatus().readyCondition().map(c -> c.getMessage()).orElse("");
    return message.contains("retries exhausted") || message.contains("not retried");
  }
}
