package dev.ephemeral.lambda.reconciler;

import java.time.Instant;

/**
 * A pending automatic retry.
 *
 * @param attempts failed invocations so far for the current trigger
 */
public record RetryState(int attempts, Instant nextAttemptAt) {}
