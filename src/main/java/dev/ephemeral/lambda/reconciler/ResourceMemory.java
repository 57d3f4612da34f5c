package dev.ephemeral.lambda.reconciler;

import dev.ephemeral.lambda.customresource.LambdaInvocationStatus;

/**
 * What this operator process knows about one resource beyond its cached copy: the status it last
 * wrote (the informer cache may lag behind its own write), a pending retry, and whether the current
 * generation's request was rejected as bad.
 *
 * @param lastWrittenStatus null until this process writes a status
 * @param retry null when no retry is pending
 * @param rejectedGeneration the generation whose request Lambda rejected as bad, or null
 */
public record ResourceMemory(
    LambdaInvocationStatus lastWrittenStatus, RetryState retry, Long rejectedGeneration) {

  public static final ResourceMemory FRESH = new ResourceMemory(null, null, null);

  public ResourceMemory withStatus(LambdaInvocationStatus status) {
    return new ResourceMemory(status, retry, rejectedGeneration);
  }

  public ResourceMemory withRetry(RetryState next) {
    return new ResourceMemory(lastWrittenStatus, next, rejectedGeneration);
  }

  public ResourceMemory withRejectedGeneration(Long generation) {
    return new ResourceMemory(lastWrittenStatus, retry, generation);
  }
}
