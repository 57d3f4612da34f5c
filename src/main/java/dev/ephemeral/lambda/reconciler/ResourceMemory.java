package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;

/**
 * What this operator process knows about one resource beyond its cached copy: the status it last
 * wrote (the informer cache may lag behind its own write), a pending retry, whether the current
 * generation's request was rejected as bad, and which state of the Secret a Secret trigger already
 * acted on.
 *
 * @param lastWrittenStatus null until this process writes a status
 * @param statusPersisted false while {@code lastWrittenStatus} has not reached the API server
 * @param retry null when no retry is pending
 * @param rejectedGeneration the generation whose request Lambda rejected as bad, or null
 * @param actedOnSecret the Secret state (see {@link SecretState#version()}) that a Secret trigger
 *     already invoked for, or null
 */
public record ResourceMemory(
    LambdaInvocationStatus lastWrittenStatus,
    boolean statusPersisted,
    RetryState retry,
    Long rejectedGeneration,
    String actedOnSecret) {

  public static final ResourceMemory FRESH = new ResourceMemory(null, true, null, null, null);

  public ResourceMemory(
      LambdaInvocationStatus lastWrittenStatus, RetryState retry, Long rejectedGeneration) {
    this(lastWrittenStatus, true, retry, rejectedGeneration, null);
  }

  /** A status about to be written; {@link #persisted()} once the API server has it. */
  public ResourceMemory withStatus(LambdaInvocationStatus status) {
    return new ResourceMemory(status, false, retry, rejectedGeneration, actedOnSecret);
  }

  public ResourceMemory persisted() {
    return new ResourceMemory(lastWrittenStatus, true, retry, rejectedGeneration, actedOnSecret);
  }

  public ResourceMemory withRetry(RetryState next) {
    return new ResourceMemory(lastWrittenStatus, statusPersisted, next, rejectedGeneration, actedOnSecret);
  }

  public ResourceMemory withRejectedGeneration(Long generation) {
    return new ResourceMemory(lastWrittenStatus, statusPersisted, retry, generation, actedOnSecret);
  }

  public ResourceMemory withActedOnSecret(String secretVersion) {
    return new ResourceMemory(lastWrittenStatus, statusPersisted, retry, rejectedGeneration, secretVersion);
  }
}
