package dev.ephemeral.lambda.emulator;

/**
 * What an emulated function receives for one invocation.
 *
 * @param functionName the plain function name, resolved from a name, {@code name:qualifier} or ARN
 * @param qualifier the qualifier as sent (in the path or the {@code Qualifier} query parameter),
 *     null if none
 * @param executedVersion {@code $LATEST} or the published version the qualifier resolved to
 * @param payload the request body; {@code {}} when the caller sent none, as Lambda does
 * @param clientContextJson the decoded {@code X-Amz-Client-Context} JSON, null if none was sent
 * @param tailLog whether the caller asked for {@code X-Amz-Log-Type: Tail}
 */
public record FunctionCall(
    String functionName,
    String qualifier,
    String executedVersion,
    byte[] payload,
    String clientContextJson,
    boolean tailLog) {}
