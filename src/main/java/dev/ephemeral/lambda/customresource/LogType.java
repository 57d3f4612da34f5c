package dev.ephemeral.lambda.customresource;

/** Lambda's X-Amz-Log-Type; only its schema (an enum) is used, the field itself is a string. */
public enum LogType {
  None,
  Tail
}
