package dev.ephemeral.lambda.invoke;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/**
 * Invokes functions through the AWS SDK v2 LambdaClient: one client per region, created once and
 * reused, all sharing one HTTP connection pool (sized for the in-flight limit).
 *
 * <p>The SDK's own retries are off: a retry after a read timeout or a 5xx could run a function that
 * already ran. Every retry is the reconciler's, deliberate and counted.
 */
public final class AwsLambdaInvoker implements LambdaInvoker, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AwsLambdaInvoker.class);

  /** Above the longest spec.timeout, so the per-call timeout is what ends a wait. */
  private static final Duration SOCKET_TIMEOUT = Duration.ofMinutes(16);

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final LambdaClientSettings settings;
  private final InvokeErrorTable errors;
  private final SdkHttpClient httpClient;
  private final Map<Region, LambdaClient> clients = new ConcurrentHashMap<>();

  public AwsLambdaInvoker(LambdaClientSettings settings, ObjectMapper mapper) {
    this.settings = settings;
    this.errors = new InvokeErrorTable(mapper);
    this.httpClient =
        Apache5HttpClient.builder()
            .maxConnections(settings.maxInFlight())
            .socketTimeout(SOCKET_TIMEOUT)
            .connectionTimeout(CONNECT_TIMEOUT)
            .build();
  }

  @Override
  public InvocationResult invoke(InvocationRequest request) {
    try {
      LambdaClient client = client(request.region());
      InvokeResponse response = client.invoke(toSdkRequest(request));
      return toResult(response);
    } catch (SdkException e) {
      LOG.atDebug()
          .addKeyValue("function", request.functionName())
          .addKeyValue("error", e.getClass().getSimpleName())
          .log("Lambda invocation failed");
      return errors.exception(e);
    }
  }

  private InvokeRequest toSdkRequest(InvocationRequest request) {
    var builder =
        InvokeRequest.builder()
            .functionName(request.functionName())
            .invocationType(InvocationType.REQUEST_RESPONSE)
            .logType(request.tailLog() ? LogType.TAIL : LogType.NONE)
            .payload(SdkBytes.fromByteArrayUnsafe(request.payload()))
            .overrideConfiguration(
                o -> o.apiCallTimeout(request.timeout()).apiCallAttemptTimeout(request.timeout()));
    if (request.qualifier() != null) {
      builder.qualifier(request.qualifier());
    }
    if (request.clientContext() != null) {
      builder.clientContext(request.clientContext());
    }
    return builder.build();
  }

  private InvocationResult toResult(InvokeResponse response) {
    byte[] payload =
        response.payload() == null ? new byte[0] : response.payload().asByteArrayUnsafe();
    int statusCode = response.statusCode() == null ? 200 : response.statusCode();
    if (response.functionError() != null) {
      return errors.functionError(response.functionError(), payload);
    }
    return new InvocationResult.Succeeded(
        statusCode, response.executedVersion(), payload, response.logResult());
  }

  private LambdaClient client(String region) {
    Region resolved =
        region != null
            ? Region.of(region)
            : settings
                .defaultRegion()
                .orElseGet(() -> new DefaultAwsRegionProviderChain().getRegion());
    return clients.computeIfAbsent(resolved, this::newClient);
  }

  private LambdaClient newClient(Region region) {
    var builder =
        LambdaClient.builder()
            .region(region)
            .credentialsProvider(settings.credentials())
            .httpClient(httpClient)
            .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
    settings.endpoint().ifPresent(builder::endpointOverride);
    return builder.build();
  }

  @Override
  public void close() {
    clients.values().forEach(LambdaClient::close);
    clients.clear();
    httpClient.close();
  }
}
