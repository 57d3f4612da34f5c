package dev.ephemeral.lambda.invoke;

import java.util.Map;
import java.util.Objects;

/**
 * The credentials identity an invocation is made with, when not the operator's own: an IAM role
 * assumed through STS AssumeRole.
 *
 * @param roleArn the role to assume
 * @param externalId the external ID the role's trust policy asks for, or null
 * @param sessionTags session tags passed to AssumeRole (key to value), possibly empty
 */
public record AssumedRole(String roleArn, String externalId, Map<String, String> sessionTags) {

  public AssumedRole {
    Objects.requireNonNull(roleArn, "roleArn");
    sessionTags = sessionTags == null ? Map.of() : Map.copyOf(sessionTags);
  }

  /** The role's account: the fifth field of its ARN. */
  public String account() {
    String[] parts = roleArn.split(":", 6);
    return parts.length == 6 ? parts[4] : null;
  }
}
