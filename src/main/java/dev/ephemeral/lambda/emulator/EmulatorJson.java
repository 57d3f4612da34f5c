package dev.ephemeral.lambda.emulator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one Jackson mapper of the emulator; strict, so a payload with trailing garbage is not JSON.
 */
final class EmulatorJson {

  /**
   * Nesting the emulator parses: as deep as a Kubernetes API server accepts, so that any payload a
   * LambdaInvocation can hold arrives as JSON (Jackson stops at 1,000 levels by default).
   */
  static final int MAX_DEPTH = 10_000;

  static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                  .streamWriteConstraints(
                      StreamWriteConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private EmulatorJson() {}
}
