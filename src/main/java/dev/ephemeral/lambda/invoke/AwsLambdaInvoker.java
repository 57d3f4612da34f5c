package dev.ephemeral.lambda.invoke;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.ServiceMetadata;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.Tag;

/**
 * Invokes functions through the AWS SDK v2 LambdaClient: one client per region, created once and
 * reused, all sharing one HTTP connection pool (sized for the in-flight limit). Each call carries
 * the credentials of its identity (the operator's own, or a role a policy names), got just before
 * it so that a failure to get them is reported as that, not as a failed call.
 *
 * <p>A role is assumed through STS AssumeRole; its credentials are cached and refreshed before they
 * expire (the SDK's StsAssumeRoleCredentialsProvider), one provider per role.
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
  private final Map<AssumedRole, StsAssumeRoleCredentialsProvider> roles =
      new ConcurrentHashMap<>();
  private volatile StsClient sts;

  /** Session name of every assumed role: CloudTrail shows the operator as the caller. */
  static final String ROLE_SESSION_NAME = "lambda-invocation-operator";

  /** Credentials this close to expiry are refreshed before use. */
  private static final Duration ROLE_STALE_TIME = Duration.ofMinutes(1);

  /** Credentials this close to expiry are refreshed ahead of time, on the next use. */
  private static final Duration ROLE_PREFETCH_TIME = Duration.ofMinutes(5);


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

  /**
   * Gets the credentials first, then calls Lambda, so that a failure names its step: the
   * operator's own credentials, the AssumeRole of a policy's role (with STS's endpoint), or the
   * call to the Lambda endpoint. Credentials are cached by their providers, so getting them first
   * costs nothing more than the call would.
   */
  @Override
  public InvocationResult invoke(InvocationRequest request) {
    Region region;
    try {
      region = region(request.region());
    } catch (SdkException e) {
      return errors.noRegion();
    }
    Optional<AssumedRole> role = request.role();
    AwsCredentials credentials;
    try {
      credentials = credentials(role).resolveCredentials();
    } catch (SdkException e) {
      if (role.isPresent()) {
        String sts = stsHost();
        LOG.atWarn()
            .addKeyValue("role", role.get().roleArn())
            .addKeyValue("sts", sts)
            .addKeyValue("error", errorName(e))
            .log("Could not assume the role a LambdaInvocationPolicy names");
        return errors.assumeRole(role.get(), sts, e);
      }
      LOG.atWarn()
          .addKeyValue("error", errorName(e))
          .log("Could not get the operator's own AWS credentials");
      return errors.ownCredentials(e);
    }
    String endpoint = endpointHost(settings.endpoint(), LAMBDA, region);
    try {
      LambdaClient client = clients.computeIfAbsent(region, this::newClient);
      InvokeResponse response = client.invoke(toSdkRequest(request, credentials));
      return toResult(response);
    } catch (SdkException e) {
      LOG.atDebug()
          .addKeyValue("function", request.functionName())
          .addKeyValue("endpoint", endpoint)
          .addKeyValue("error", errorName(e))
          .log("Lambda invocation failed");
      return errors.exception(endpoint, e);
    }
  }

  private static final String LAMBDA = "lambda";
  private static final String STS = "sts";

  /** The host an SDK client of {@code service} calls: the override's, or the region's own. */
  private static String endpointHost(Optional<URI> override, String service, Region region) {
    if (override.isPresent()) {
      URI uri = override.get();
      return uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    }
    return ServiceMetadata.of(service).endpointFor(region).toString();
  }

  /** The host the STS client calls, in the operator's default region. */
  private String stsHost() {
    if (settings.stsEndpoint().isPresent()) {
      return endpointHost(settings.stsEndpoint(), STS, null);
    }
    try {
      return endpointHost(Optional.empty(), STS, region(null));
    } catch (SdkException e) {
      return "the STS endpoint of the default region (none is set: set AWS_REGION)";
    }
  }

  /** AWS's error code, or the exception's class name: never its message, which may quote data. */
  private static String errorName(SdkException e) {
    return e instanceof AwsServiceException aws && aws.awsErrorDetails() != null
        ? aws.awsErrorDetails().errorCode()
        : e.getClass().getSimpleName();
  }

  /** The request, signed with {@code credentials}: those just got, not fetched a second time. */
  private InvokeRequest toSdkRequest(InvocationRequest request, AwsCredentials credentials) {
    var builder =
        InvokeRequest.builder()
            .functionName(request.functionName())
            .invocationType(InvocationType.REQUEST_RESPONSE)
            .logType(request.tailLog() ? LogType.TAIL : LogType.NONE)
            .payload(SdkBytes.fromByteArrayUnsafe(request.payload()))
            .overrideConfiguration(
                o ->
                    o.apiCallTimeout(request.timeout())
                        .apiCallAttemptTimeout(request.timeout())
                        .credentialsProvider(StaticCredentialsProvider.create(credentials)));
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

  /** {@code region}, or the operator's default region when null. */
  private Region region(String region) {
    return region != null
        ? Region.of(region)
        : settings.defaultRegion().orElseGet(() -> new DefaultAwsRegionProviderChain().getRegion());
  }

  private AwsCredentialsProvider credentials(Optional<AssumedRole> role) {
    if (role.isEmpty()) {
      return settings.credentials();
    }
    return roles.computeIfAbsent(role.get(), this::assumeRoleProvider);
  }

  private StsAssumeRoleCredentialsProvider assumeRoleProvider(AssumedRole role) {
    var request =
        AssumeRoleRequest.builder().roleArn(role.roleArn()).roleSessionName(ROLE_SESSION_NAME);
    if (role.externalId() != null) {
      request.externalId(role.externalId());
    }
    if (!role.sessionTags().isEmpty()) {
      request.tags(
          role.sessionTags().entrySet().stream()
              .sorted(Map.Entry.comparingByKey())
              .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
              .toList());
    }
    return StsAssumeRoleCredentialsProvider.builder()
        .stsClient(sts())
        .refreshRequest(request.build())
        .staleTime(ROLE_STALE_TIME)
        .prefetchTime(ROLE_PREFETCH_TIME)
        .asyncCredentialUpdateEnabled(false)
        .build();
  }

  /** One STS client, in the default region, with the operator's own credentials. */
  private StsClient sts() {
    StsClient client = sts;
    if (client == null) {
      synchronized (this) {
        if (sts == null) {
          var builder =
              StsClient.builder()
                  .region(region(null))
                  .credentialsProvider(settings.credentials())
                  .httpClient(httpClient);
          settings.stsEndpoint().ifPresent(builder::endpointOverride);
          sts = builder.build();
        }
        client = sts;
      }
    }
    return client;
  }

  /**
   * A client for {@code region}. Its own credentials are the operator's, but every request carries
   * the credentials of its identity (see {@link #invoke}).
   */
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
    roles.values().forEach(StsAssumeRoleCredentialsProvider::close);
    roles.clear();
    if (sts != null) {
      sts.close();
    }
    httpClient.close();
  }
}
