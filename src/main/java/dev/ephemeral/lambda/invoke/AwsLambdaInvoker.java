package dev.ephemeral.lambda.invoke;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.customresource.ReadyReason;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
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
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.StsException;
import software.amazon.awssdk.services.sts.model.Tag;

/**
 * Invokes functions through the AWS SDK v2 LambdaClient: one client per credentials identity (the
 * operator's own, or a role a policy names) and region, created once and reused, all sharing one
 * HTTP connection pool (sized for the in-flight limit).
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
  private final Map<ClientKey, LambdaClient> clients = new ConcurrentHashMap<>();
  private final Map<AssumedRole, StsAssumeRoleCredentialsProvider> roles =
      new ConcurrentHashMap<>();
  private volatile StsClient sts;

  /** Session name of every assumed role: CloudTrail shows the operator as the caller. */
  static final String ROLE_SESSION_NAME = "lambda-invocation-operator";

  /** Credentials this close to expiry are refreshed before use. */
  private static final Duration ROLE_STALE_TIME = Duration.ofMinutes(1);

  /** Credentials this close to expiry are refreshed ahead of time, on the next use. */
  private static final Duration ROLE_PREFETCH_TIME = Duration.ofMinutes(5);

  private record ClientKey(Optional<AssumedRole> role, Region region) {}

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
      LambdaClient client = client(request.role(), request.region());
      InvokeResponse response = client.invoke(toSdkRequest(request));
      return toResult(response);
    } catch (SdkException e) {
      if (request.role().isPresent() && fromSts(e)) {
        return notAssumed(request.role().get(), e);
      }
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

  /** The failure came from STS, getting the role's credentials, before any call to Lambda. */
  private static boolean fromSts(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StsException) {
        return true;
      }
    }
    return false;
  }

  /** A role that cannot be assumed is reported as such, naming the role, not as a failed call. */
  private static InvocationResult notAssumed(AssumedRole role, SdkException failure) {
    Throwable e = failure;
    while (!(e instanceof StsException) && e.getCause() != null) {
      e = e.getCause();
    }
    String code =
        e instanceof AwsServiceException aws && aws.awsErrorDetails() != null
            ? aws.awsErrorDetails().errorCode()
            : e.getClass().getSimpleName();
    LOG.atWarn()
        .addKeyValue("role", role.roleArn())
        .addKeyValue("error", code)
        .log("Could not assume the role a LambdaInvocationPolicy names");
    return new InvocationResult.Failed(
        ReadyReason.AccessDenied,
        RetryClass.SLOW,
        "the operator could not assume role "
            + role.roleArn()
            + " ("
            + code
            + "): allow sts:AssumeRole (and sts:TagSession with session tags) for the"
            + " operator's AWS identity in the role's trust policy");
  }

  private LambdaClient client(Optional<AssumedRole> role, String region) {
    Region resolved =
        region != null
            ? Region.of(region)
            : settings
                .defaultRegion()
                .orElseGet(() -> new DefaultAwsRegionProviderChain().getRegion());
    return clients.computeIfAbsent(new ClientKey(role, resolved), this::newClient);
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
                  .region(
                      settings
                          .defaultRegion()
                          .orElseGet(() -> new DefaultAwsRegionProviderChain().getRegion()))
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

  private LambdaClient newClient(ClientKey key) {
    var builder =
        LambdaClient.builder()
            .region(key.region())
            .credentialsProvider(credentials(key.role()))
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
