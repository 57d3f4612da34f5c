package dev.ephemeral.lambda.policy;

import dev.ephemeral.lambda.invoke.AssumedRole;
import java.util.List;
import java.util.Optional;

/** What the policies say about one LambdaInvocation. */
public sealed interface Permit {

  /** Invocations are allowed with the operator's own credentials (POLICY_MODE=Off). */
  Permit UNRESTRICTED = new Allowed(Optional.empty(), Optional.empty());

  /**
   * @param policy the policy whose match chose the role; empty when no policy is enforced
   * @param role the role to assume; empty means the operator's own credentials
   */
  record Allowed(Optional<String> policy, Optional<AssumedRole> role) implements Permit {}

  /**
   * @param message names the namespace and the function, and why
   * @param revoke a policy that applies to the namespace asks for its Secret to go at once
   * @param conflicting policies that match equally specifically with different roles (a tie), each
   *     of which shows the conflict in its status; empty for any other denial
   */
  record Denied(String message, boolean revoke, List<String> conflicting) implements Permit {}
}
