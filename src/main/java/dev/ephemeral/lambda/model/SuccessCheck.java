package dev.ephemeral.lambda.model;

/**
 * spec.successCondition as checked: an expression that compiles to a boolean.
 *
 * @param expression the CEL expression, as written
 * @param message the user's fixed text for a rejected result; empty when none
 * @param writeRejectedResult whether a rejected result is written to the Secret anyway
 */
public record SuccessCheck(String expression, String message, boolean writeRejectedResult) {}
