package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.policy.Permit;
import java.util.Optional;

/**
 * The outcomes of a phase that stops before any call: the spec is invalid, no policy allows the
 * function, or the inputs of spec.payloadFrom are missing or unusable. The status says why; no
 * function is invoked.
 */
final class NotInvoking {

  private NotInvoking() {}

  static Outcome invalidSpec(String message) {
    return notInvoking(ReadyReason.InvalidSpec, message + "; fix the spec");
  }

  static Outcome inputsUnusable(ReadyReason reason, String message) {
    return notInvoking(reason, message);
  }

  /**
   * No policy allows the resource. Unlike an invalid spec, the inputs last acted on stay recorded:
   * a policy that allows it again invokes it once, whatever its inputs.
   */
  static Outcome notAllowed(Permit.Denied denied) {
    return Outcome.status(
        (resource, current, now) ->
            StatusFactory.failed(
                resource,
                current,
                Optional.empty(),
                ReadyReason.NotAllowed,
                denied.message(),
                now));
  }

  private static Outcome notInvoking(ReadyReason reason, String message) {
    return Outcome.status(
        (resource, current, now) -> {
          var next =
              StatusFactory.failed(resource, current, Optional.empty(), reason, message, now);
          // No inputs were acted on: once they are there (again), even with the values last
          // sent, they invoke.
          next.setInputsHash(null);
          return next;
        });
  }
}
