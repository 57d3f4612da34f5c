package dev.ephemeral.lambda.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A local endpoint speaking STS's Query API as far as AssumeRole goes: {@code POST /} with a
 * form-encoded body ({@code Action=AssumeRole&RoleArn=...&ExternalId=...&Tags.member.1.Key=...}),
 * answered with temporary credentials in XML, or with an error. Each grant has its own access key
 * ID ({@code ASIATEST1}, {@code ASIATEST2}...) and session token, so the Invoke endpoint can tell
 * which credentials signed a call.
 */
final class StsEndpoint implements AutoCloseable {

  /** One request received: its form parameters and headers (names in lower case). */
  record Request(Map<String, String> form, Map<String, String> headers) {}

  private final HttpServer server;
  private final List<Request> requests = new ArrayList<>();
  private final AtomicInteger grants = new AtomicInteger();
  private volatile Supplier<Duration> lifetime = () -> Duration.ofHours(1);
  private volatile String errorCode;
  private volatile int errorStatus = 403;

  private StsEndpoint(HttpServer server) {
    this.server = server;
  }

  static StsEndpoint start() {
    try {
      var server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      var sts = new StsEndpoint(server);
      server.createContext("/", sts::handle);
      server.start();
      return sts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** How long the credentials granted from now on are valid. */
  void grantFor(Duration validity) {
    lifetime = () -> validity;
  }

  /** Answer every AssumeRole from now on with this error code (403). */
  void deny(String code) {
    fail(403, code);
  }

  /** Answer every AssumeRole from now on with this HTTP status and error code. */
  void fail(int status, String code) {
    errorStatus = status;
    errorCode = code;
  }

  List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /** The account GetCallerIdentity answers with. */
  static final String CALLER_ACCOUNT = "444444444444";

  static String accessKeyId(int grant) {
    return "ASIATEST" + grant;
  }

  static String sessionToken(int grant) {
    return "session-token-" + grant;
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Map<String, String> form = new LinkedHashMap<>();
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      form.put(
          URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    Map<String, String> headers = new LinkedHashMap<>();
    exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
    synchronized (requests) {
      requests.add(new Request(form, headers));
    }
    String code = errorCode;
    String action = form.get("Action");
    if (!"AssumeRole".equals(action) && !"GetCallerIdentity".equals(action)) {
      code = "InvalidAction";
    }
    String xml;
    int status;
    if (code == null && "GetCallerIdentity".equals(action)) {
      status = 200;
      xml =
          "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
              + "<GetCallerIdentityResult><Arn>arn:aws:iam::"
              + CALLER_ACCOUNT
              + ":user/operator</Arn><UserId>AIDATEST</UserId><Account>"
              + CALLER_ACCOUNT
              + "</Account></GetCallerIdentityResult>"
              + "<ResponseMetadata><RequestId>req-id</RequestId></ResponseMetadata>"
              + "</GetCallerIdentityResponse>";
    } else if (code != null) {
      status = code.equals("InvalidAction") ? 400 : errorStatus;
      xml =
          "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
              + "<Type>Sender</Type><Code>"
              + code
              + "</Code><Message>User: arn:aws:iam::111111111111:user/operator is not authorized"
              + " to perform: sts:AssumeRole on resource: "
              + form.get("RoleArn")
              + "</Message></Error><RequestId>req-1</RequestId></ErrorResponse>";
    } else {
      int grant = grants.incrementAndGet();
      Instant expiration = Instant.now().plus(lifetime.get()).truncatedTo(ChronoUnit.SECONDS);
      status = 200;
      xml =
          "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
              + "<AssumeRoleResult><AssumedRoleUser>"
              + "<Arn>arn:aws:sts::222222222222:assumed-role/test/"
              + form.get("RoleSessionName")
              + "</Arn><AssumedRoleId>AROATEST:"
              + form.get("RoleSessionName")
              + "</AssumedRoleId></AssumedRoleUser><Credentials>"
              + "<AccessKeyId>"
              + accessKeyId(grant)
              + "</AccessKeyId><SecretAccessKey>secret-"
              + grant
              + "</SecretAccessKey><SessionToken>"
              + sessionToken(grant)
              + "</SessionToken><Expiration>"
              + expiration
              + "</Expiration></Credentials></AssumeRoleResult>"
              + "<ResponseMetadata><RequestId>req-"
              + grant
              + "</RequestId></ResponseMetadata></AssumeRoleResponse>";
    }
    byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/xml");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
