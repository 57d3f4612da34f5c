package dev.ephemeral.lambda.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ephemeral.lambda.model.Shard;
import dev.ephemeral.lambda.customresource.InvokePolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocation;
import dev.ephemeral.lambda.customresource.ReadyReason;
import dev.ephemeral.lambda.invoke.InvocationResult.Succeeded;
import dev.ephemeral.lambda.model.InvocationPlan;
import dev.ephemeral.lambda.model.SecretShape;
import dev.ephemeral.lambda.secret.ResultSecret.Built;
import dev.ephemeral.lambda.secret.ResultSecret.Rejected;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResultSecretTest {

  private static final Instant INVOKED_AT = Instant.parse("2026-11-26T10:00:00Z");
  private static final String UID = "0d6c3f0e-1111-2222-3333-444455556666";
  private static final String SECRET_VALUE = "sk-live-0123456789abcdef";
  private static final String JSON_RESULT =
      "{\"api_key\":\""
          + SECRET_VALUE
          + "\",\"size\":{\"cpu\":2,\"memory\":\"4Gi\"},\"length\":32}";
  private static final String LOG = "U1RBUlQgUmVxdWVzdElkOiAxMjM0CkVORA==";

  private final DataHash dataHash = DataHash.withRandomKey();
  private final ResultSecret resultSecret = new ResultSecret(new ObjectMapper(), dataHash);

  @Test
  void resultIsStoredBytesExactlyAsReturnedInData() {
    byte[] payload = {'"', 0, (byte) 0xff, (byte) 0xc3, 'x', '\n', '"'};

    Secret secret = built(plan(), succeeded(payload, null));

    assertThat(decoded(secret, "result")).isEqualTo(payload);
    assertThat(secret.getData().get("result"))
        .isEqualTo(Base64.getEncoder().encodeToString(payload));
    assertThat(secret.getStringData()).isNullOrEmpty();
    assertThat(secret.getData()).containsOnlyKeys("result");
  }

  @Test
  void secretIsOpaqueAndNamedByThePlanInTheOwnersNamespace() {
    Secret secret = built(plan(), succeeded(JSON_RESULT, null));

    assertThat(secret.getType()).isEqualTo("Opaque");
    assertThat(secret.getMetadata().getName()).isEqualTo("api-key-secret");
    assertThat(secret.getMetadata().getNamespace()).isEqualTo("shop");
  }

  @Test
  void logResultIsWrittenOnlyWithTailAsTheBase64TextReturned() {
    Secret tailed = built(planWith().tailLog(true).build(), succeeded(JSON_RESULT, LOG));
    assertThat(new String(decoded(tailed, "log_result"), StandardCharsets.US_ASCII)).isEqualTo(LOG);

    Secret untailed = built(planWith().tailLog(false).build(), succeeded(JSON_RESULT, LOG));
    assertThat(untailed.getData()).doesNotContainKey("log_result");
  }

  @Test
  void projectedKeysTakeStringsAsTextAndOtherValuesAsJson() {
    var plan =
        planWith()
            .keys(
                Map.of(
                    "api_key", "/api_key",
                    "size", "/size",
                    "length", "/length",
                    "memory", "/size/memory"))
            .build();

    Secret secret = built(plan, succeeded(JSON_RESULT, null));

    assertThat(text(secret, "api_key")).isEqualTo(SECRET_VALUE);
    assertThat(text(secret, "size")).isEqualTo("{\"cpu\":2,\"memory\":\"4Gi\"}");
    assertThat(text(secret, "length")).isEqualTo("32");
    assertThat(text(secret, "memory")).isEqualTo("4Gi");
    assertThat(text(secret, "result")).isEqualTo(JSON_RESULT);
  }

  /** Read as doubles, these would be written as "Infinity", 1.2345678901234568E22 and 1.1. */
  @Test
  void projectedNumbersAreWrittenAsTheFunctionWroteThem() {
    String digits = "7".repeat(1_200);
    String result =
        "{\"huge\":1e400,\"big\":12345678901234567890123,\"price\":1.10,\"exp\":2.5E+3,"
            + "\"long\":"
            + digits
            + ",\"list\":[1e400,1.10]}";
    var plan =
        planWith()
            .keys(
                Map.of(
                    "huge", "/huge",
                    "big", "/big",
                    "price", "/price",
                    "exp", "/exp",
                    "long", "/long",
                    "list", "/list"))
            .build();

    Secret secret = built(plan, succeeded(result, null));

    assertThat(text(secret, "huge")).isEqualTo("1e400");
    assertThat(text(secret, "big")).isEqualTo("12345678901234567890123");
    assertThat(text(secret, "price")).isEqualTo("1.10");
    assertThat(text(secret, "exp")).isEqualTo("2.5E+3");
    assertThat(text(secret, "long")).isEqualTo(digits);
    assertThat(text(secret, "list")).isEqualTo("[1e400,1.10]");
  }

  @Test
  void pointerThatMatchesNothingIsResultKeyMissingNamingTheKeyButNoResultByte() {
    var plan = planWith().keys(Map.of("token", "/token")).build();

    var build = resultSecret.build(owner(), plan, succeeded(JSON_RESULT, null), INVOKED_AT);

    assertThat(build)
        .asInstanceOf(type(Rejected.class))
        .satisfies(
            rejected -> {
              assertThat(rejected.reason()).isEqualTo(ReadyReason.ResultKeyMissing);
              assertThat(rejected.message())
                  .contains("token")
                  .doesNotContain(SECRET_VALUE, "sk-live", "4Gi");
            });
  }

  @Test
  void resultThatIsNotJsonIsResultKeyMissingWhenKeysAreProjected() {
    var plan = planWith().keys(Map.of("api_key", "/api_key")).build();
    String notJson = "api_key=" + SECRET_VALUE;

    var build = resultSecret.build(owner(), plan, succeeded(notJson, null), INVOKED_AT);

    assertThat(build)
        .asInstanceOf(type(Rejected.class))
        .satisfies(
            rejected -> {
              assertThat(rejected.reason()).isEqualTo(ReadyReason.ResultKeyMissing);
              assertThat(rejected.message()).doesNotContain(SECRET_VALUE, "sk-live");
            });
  }

  @Test
  void resultWithTextAfterItsJsonIsNotJson() {
    var plan = planWith().keys(Map.of("api_key", "/api_key")).build();
    String notJson = "{\"api_key\":\"k\"} and " + SECRET_VALUE;

    var build = resultSecret.build(owner(), plan, succeeded(notJson, null), INVOKED_AT);

    assertThat(build)
        .asInstanceOf(type(Rejected.class))
        .satisfies(
            rejected -> {
              assertThat(rejected.reason()).isEqualTo(ReadyReason.ResultKeyMissing);
              assertThat(rejected.message()).doesNotContain(SECRET_VALUE, "sk-live");
            });
  }

  @Test
  void emptyResultIsNotJsonWhenKeysAreProjected() {
    var plan = planWith().keys(Map.of("api_key", "/api_key")).build();

    var build = resultSecret.build(owner(), plan, succeeded(new byte[0], null), INVOKED_AT);

    assertThat(build).isInstanceOf(Rejected.class);
    assertThat(((Rejected) build).reason()).isEqualTo(ReadyReason.ResultKeyMissing);
  }

  @Test
  void resultThatIsNotJsonIsWrittenWhenNoKeysAreProjected() {
    Secret secret = built(plan(), succeeded("plain text " + SECRET_VALUE, null));

    assertThat(text(secret, "result")).isEqualTo("plain text " + SECRET_VALUE);
  }

  @Test
  void resultTooLargeForASecretIsRejectedWithoutResultBytes() {
    byte[] payload = new byte[SecretLayout.MAX_SECRET_BYTES];
    Arrays.fill(payload, (byte) 'z');

    var build = resultSecret.build(owner(), plan(), succeeded(payload, null), INVOKED_AT);

    assertThat(build)
        .asInstanceOf(type(Rejected.class))
        .satisfies(
            rejected -> {
              assertThat(rejected.reason()).isEqualTo(ReadyReason.ResultTooLarge);
              assertThat(rejected.message()).doesNotContain("zzzzzzzz");
            });
  }

  @Test
  void projectedKeysCountTowardsTheSecretSize() {
    String big = "x".repeat(600 * 1024);
    String result = "{\"a\":\"" + big + "\"}";

    assertThat(resultSecret.build(owner(), plan(), succeeded(result, null), INVOKED_AT))
        .isInstanceOf(Built.class);
    assertThat(
            resultSecret.build(
                owner(),
                planWith().keys(Map.of("a", "/a")).build(),
                succeeded(result, null),
                INVOKED_AT))
        .asInstanceOf(type(Rejected.class))
        .extracting(Rejected::reason)
        .isEqualTo(ReadyReason.ResultTooLarge);
  }

  @Test
  void secretCarriesTheOperatorsLabelsAndTheUsersLabels() {
    var plan = planWith().labels(Map.of("team", "shop", "app", "api")).build();

    Secret secret = built(plan, succeeded(JSON_RESULT, null));

    assertThat(secret.getMetadata().getLabels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "app.kubernetes.io/managed-by", "lambda-invocation-operator",
                "lambda.ephemeral.dev/invocation", "api-key",
                "team", "shop",
                "app", "api"));
  }

  @Test
  void aShardsSecretCarriesItsShardLabelWhateverTheSpecSays() {
    var sharded = new ResultSecret(new ObjectMapper(), dataHash, Shard.named("blue"));
    var plan = planWith().labels(Map.of(Shard.LABEL, "green")).build();

    var build = (Built) sharded.build(owner(), plan, succeeded(JSON_RESULT, null), INVOKED_AT);
    var unsharded = built(plan, succeeded(JSON_RESULT, null));

    assertThat(build.secret().getMetadata().getLabels()).containsEntry(Shard.LABEL, "blue");
    assertThat(unsharded.getMetadata().getLabels()).doesNotContainKey(Shard.LABEL);
  }

  @Test
  void anUpdateByAnotherShardDropsTheOldShardLabel() {
    Secret desired = built(plan(), succeeded(JSON_RESULT, null));
    Secret existing = built(plan(), succeeded("{}", null));
    existing.getMetadata().getLabels().put(Shard.LABEL, "blue");

    Secret merged = ResultSecret.keepingForeignMetadata(desired, existing);

    assertThat(merged.getMetadata().getLabels()).doesNotContainKey(Shard.LABEL);
  }

  @Test
  void secretCarriesInvokedAtDataHashAndTheUsersAnnotationsButNoExpiryWithoutTtl() {
    var plan = planWith().annotations(Map.of("reloader.stakater.com/match", "true")).build();

    var build = (Built) resultSecret.build(owner(), plan, succeeded(JSON_RESULT, null), INVOKED_AT);

    assertThat(build.secret().getMetadata().getAnnotations())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "lambda.ephemeral.dev/invoked-at", "2026-11-26T10:00:00Z",
                "lambda.ephemeral.dev/data-hash", build.dataHash(),
                "reloader.stakater.com/match", "true"));
    assertThat(build.dataHash()).isEqualTo(dataHash.of(build.secret().getData()));
  }

  @Test
  void secretWithTtlCarriesExpiresAtInvokedAtPlusTtl() {
    var plan = planWith().ttl(Duration.ofMinutes(90)).build();

    Secret secret = built(plan, succeeded(JSON_RESULT, null));

    assertThat(secret.getMetadata().getAnnotations())
        .containsEntry("lambda.ephemeral.dev/invoked-at", "2026-11-26T10:00:00Z")
        .containsEntry("lambda.ephemeral.dev/expires-at", "2026-11-26T11:30:00Z");
    assertThat(
            Instant.parse(
                secret.getMetadata().getAnnotations().get("lambda.ephemeral.dev/expires-at")))
        .isEqualTo(INVOKED_AT.plus(Duration.ofMinutes(90)));
  }

  @Test
  void secretHasExactlyOneControllingOwnerReferenceToTheResource() {
    Secret secret = built(plan(), succeeded(JSON_RESULT, null));

    assertThat(secret.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            ref -> {
              assertThat(ref.getApiVersion()).isEqualTo("lambda.ephemeral.dev/v1alpha1");
              assertThat(ref.getKind()).isEqualTo("LambdaInvocation");
              assertThat(ref.getName()).isEqualTo("api-key");
              assertThat(ref.getUid()).isEqualTo(UID);
              assertThat(ref.getController()).isTrue();
              assertThat(ref.getBlockOwnerDeletion()).isTrue();
            });
  }

  @Test
  void freshlyBuiltSecretIsIntactAndControlledByItsOwner() {
    Secret secret =
        built(
            planWith().tailLog(true).keys(Map.of("api_key", "/api_key")).build(),
            succeeded(JSON_RESULT, LOG));

    assertThat(resultSecret.isIntact(secret)).isTrue();
    assertThat(ResultSecret.isControlledBy(secret, owner())).isTrue();
  }

  @Test
  void secretWhoseDataWasChangedIsNotIntact() {
    Secret secret = built(plan(), succeeded(JSON_RESULT, null));

    var changed = new SecretBuilder(secret).build();
    changed.setData(new HashMap<>(secret.getData()));
    changed
        .getData()
        .put("result", Base64.getEncoder().encodeToString("{}".getBytes(StandardCharsets.UTF_8)));
    assertThat(resultSecret.isIntact(changed)).isFalse();

    var added = new SecretBuilder(secret).build();
    added.setData(new HashMap<>(secret.getData()));
    added.getData().put("extra", "eA==");
    assertThat(resultSecret.isIntact(added)).isFalse();
  }

  @Test
  void secretWithoutTheHashAnnotationIsNotIntact() {
    Secret secret = built(plan(), succeeded(JSON_RESULT, null));
    secret.getMetadata().setAnnotations(Map.of());

    assertThat(resultSecret.isIntact(secret)).isFalse();
  }

  @Test
  void secretOwnedByAnotherResourceOrNotAsControllerIsNotControlled() {
    var foreign =
        new SecretBuilder()
            .withNewMetadata()
            .withName("api-key-secret")
            .withOwnerReferences(ownerReference("another-uid", true))
            .endMetadata()
            .build();
    var notController =
        new SecretBuilder()
            .withNewMetadata()
            .withName("api-key-secret")
            .withOwnerReferences(ownerReference(UID, false))
            .endMetadata()
            .build();
    var unowned =
        new SecretBuilder().withNewMetadata().withName("api-key-secret").endMetadata().build();

    assertThat(ResultSecret.isControlledBy(foreign, owner())).isFalse();
    assertThat(ResultSecret.isControlledBy(notController, owner())).isFalse();
    assertThat(ResultSecret.isControlledBy(unowned, owner())).isFalse();
  }

  // --- a Secret left by a deleted LambdaInvocation of the same name

  @Test
  void labelledSecretWithoutAControllerIsNotTakenOver() {
    // Hand-made, copied, or orphaned with kubectl delete --cascade=orphan: a conflict, not ours.
    Secret orphan = labelled(MANAGED_BY, "api-key");
    Secret otherOwner = labelled(MANAGED_BY, "api-key", configMapReference(false));

    assertThat(ResultSecret.isLeftByPredecessor(orphan, owner())).isFalse();
    assertThat(ResultSecret.isOwnedOrLeftFor(orphan, owner())).isFalse();
    assertThat(ResultSecret.isLeftByPredecessor(otherOwner, owner())).isFalse();
  }

  @Test
  void secretOfADeletedPredecessorOfTheSameNameIsLeftByPredecessor() {
    Secret left = labelled(MANAGED_BY, "api-key", ownerReference("uid-of-the-deleted-one", true));

    assertThat(ResultSecret.isLeftByPredecessor(left, owner())).isTrue();
    assertThat(ResultSecret.isControlledBy(left, owner())).isFalse();
    assertThat(ResultSecret.isOwnedOrLeftFor(left, owner())).isTrue();
  }

  @Test
  void predecessorsSecretMayCarryOtherNonControllingOwners() {
    Secret left =
        labelled(
            MANAGED_BY,
            "api-key",
            ownerReference("uid-of-the-deleted-one", true),
            configMapReference(false));

    assertThat(ResultSecret.isLeftByPredecessor(left, owner())).isTrue();
  }

  @Test
  void secretControlledByTheOwnerItselfIsControlledNotLeftByPredecessor() {
    Secret own = labelled(MANAGED_BY, "api-key", ownerReference(UID, true));

    assertThat(ResultSecret.isLeftByPredecessor(own, owner())).isFalse();
    assertThat(ResultSecret.isControlledBy(own, owner())).isTrue();
    assertThat(ResultSecret.isOwnedOrLeftFor(own, owner())).isTrue();
  }

  @Test
  void secretOfALambdaInvocationOfAnotherNameIsNotLeftByPredecessor() {
    Secret otherLabel = labelled(MANAGED_BY, "db-password", ownerReference("old-uid", true));
    Secret otherController =
        labelled(
            MANAGED_BY,
            "api-key",
            new OwnerReferenceBuilder(ownerReference("old-uid", true))
                .withName("db-password")
                .build());
    Secret both =
        labelled(
            MANAGED_BY,
            "db-password",
            new OwnerReferenceBuilder(ownerReference("old-uid", true))
                .withName("db-password")
                .build());

    for (Secret secret : new Secret[] {otherLabel, otherController, both}) {
      assertThat(ResultSecret.isLeftByPredecessor(secret, owner())).isFalse();
      assertThat(ResultSecret.isOwnedOrLeftFor(secret, owner())).isFalse();
    }
  }

  @Test
  void secretWithoutTheManagedByLabelIsNotLeftByPredecessor() {
    Secret unlabelled = labelled(null, "api-key", ownerReference("old-uid", true));
    Secret otherManager = labelled("helm", "api-key", ownerReference("old-uid", true));

    assertThat(ResultSecret.isLeftByPredecessor(unlabelled, owner())).isFalse();
    assertThat(ResultSecret.isOwnedOrLeftFor(unlabelled, owner())).isFalse();
    assertThat(ResultSecret.isLeftByPredecessor(otherManager, owner())).isFalse();
    assertThat(ResultSecret.isOwnedOrLeftFor(otherManager, owner())).isFalse();
  }

  @Test
  void secretControlledByAnotherKindIsNotLeftByPredecessor() {
    Secret sealed =
        labelled(
            MANAGED_BY,
            "api-key",
            new OwnerReferenceBuilder()
                .withApiVersion("bitnami.com/v1alpha1")
                .withKind("SealedSecret")
                .withName("api-key")
                .withUid("sealed-uid")
                .withController(true)
                .build());

    assertThat(ResultSecret.isLeftByPredecessor(sealed, owner())).isFalse();
    assertThat(ResultSecret.isOwnedOrLeftFor(sealed, owner())).isFalse();
  }

  // --- what others put on the Secret survives the operator's update

  @Test
  void updateKeepsTheLabelsAnnotationsFinalizersAndOwnersOthersAdded() {
    Secret desired = built(plan(), succeeded(JSON_RESULT, null));
    Secret existing = built(plan(), succeeded("{}", null));
    existing.getMetadata().getLabels().put("argocd.argoproj.io/instance", "shop");
    existing.getMetadata().getAnnotations().put("kubectl.kubernetes.io/last-applied", "{}");
    existing.getMetadata().setFinalizers(List.of("backup.example.com/keep"));
    existing
        .getMetadata()
        .setOwnerReferences(List.of(ownerReference(UID, true), configMapReference(false)));

    Secret merged = ResultSecret.keepingForeignMetadata(desired, existing);

    assertThat(merged.getMetadata().getLabels())
        .containsEntry("argocd.argoproj.io/instance", "shop")
        .containsEntry("app.kubernetes.io/managed-by", "lambda-invocation-operator")
        .containsEntry("lambda.ephemeral.dev/invocation", "api-key");
    assertThat(merged.getMetadata().getAnnotations())
        .containsEntry("kubectl.kubernetes.io/last-applied", "{}")
        .containsEntry("lambda.ephemeral.dev/data-hash", dataHash.of(desired.getData()));
    assertThat(merged.getMetadata().getFinalizers()).containsExactly("backup.example.com/keep");
    assertThat(merged.getMetadata().getOwnerReferences())
        .containsExactlyInAnyOrder(ownerReferenceAsBuilt(), configMapReference(false));
    assertThat(merged.getData()).isEqualTo(desired.getData());
  }

  @Test
  void operatorsOwnLabelsAndAnnotationsWinOverExistingValues() {
    var plan =
        planWith()
            .labels(Map.of("team", "shop"))
            .annotations(Map.of("reloader.stakater.com/match", "true"))
            .build();
    Secret desired = built(plan, succeeded(JSON_RESULT, null));
    Secret existing = built(plan(), succeeded("{}", null));
    existing.getMetadata().getLabels().put("team", "someone-elses");
    existing.getMetadata().getLabels().put("app.kubernetes.io/managed-by", "helm");
    existing.getMetadata().getAnnotations().put("reloader.stakater.com/match", "false");
    existing
        .getMetadata()
        .getAnnotations()
        .put("lambda.ephemeral.dev/invoked-at", "2026-11-26T08:00:00Z");

    Secret merged = ResultSecret.keepingForeignMetadata(desired, existing);

    assertThat(merged.getMetadata().getLabels())
        .containsEntry("team", "shop")
        .containsEntry("app.kubernetes.io/managed-by", "lambda-invocation-operator");
    assertThat(merged.getMetadata().getAnnotations())
        .containsEntry("reloader.stakater.com/match", "true")
        .containsEntry("lambda.ephemeral.dev/invoked-at", "2026-11-26T10:00:00Z")
        .containsEntry("lambda.ephemeral.dev/data-hash", dataHash.of(desired.getData()));
  }

  @Test
  void staleOperatorAnnotationsOfTheExistingSecretAreDropped() {
    // The spec had a ttl and no longer has one: the old expires-at must not linger.
    Secret existing = built(planWith().ttl(Duration.ofMinutes(30)).build(), succeeded("{}", null));
    existing.getMetadata().getAnnotations().put("lambda.ephemeral.dev/retired-field", "x");
    assertThat(existing.getMetadata().getAnnotations())
        .containsKey("lambda.ephemeral.dev/expires-at");
    Secret desired = built(plan(), succeeded(JSON_RESULT, null));

    Secret merged = ResultSecret.keepingForeignMetadata(desired, existing);

    assertThat(merged.getMetadata().getAnnotations())
        .doesNotContainKeys("lambda.ephemeral.dev/expires-at", "lambda.ephemeral.dev/retired-field")
        .containsOnlyKeys("lambda.ephemeral.dev/invoked-at", "lambda.ephemeral.dev/data-hash");
  }

  @Test
  void takeoverOfAStagedSecretKeepsNothingOfIt() {
    // Anyone who may create Secrets can stage one that looks left by a predecessor.
    Secret desired = built(plan(), succeeded(JSON_RESULT, null));
    Secret expected = new SecretBuilder(desired).build();
    Secret staged =
        labelled(
            MANAGED_BY,
            "api-key",
            ownerReference("uid-of-the-deleted-one", true),
            configMapReference(false));
    staged.getMetadata().getLabels().put("replicator.example.com/replicate", "true");
    staged
        .getMetadata()
        .setAnnotations(
            Map.of(
                "replicator.example.com/replicate-to", "other-namespace",
                "javaoperatorsdk.io/previous", "staged"));
    staged.getMetadata().setFinalizers(List.of("attacker.example.com/keep-forever"));
    staged.setData(Map.of("planted", "eA=="));
    assertThat(ResultSecret.isLeftByPredecessor(staged, owner())).isTrue();

    Secret merged = ResultSecret.keepingForeignMetadata(desired, staged);

    assertThat(merged).isEqualTo(expected);
    assertThat(merged.getMetadata().getFinalizers()).isNullOrEmpty();
    assertThat(merged.getMetadata().getOwnerReferences()).containsExactly(ownerReferenceAsBuilt());
    assertThat(merged.getMetadata().getAnnotations())
        .containsOnlyKeys("lambda.ephemeral.dev/invoked-at", "lambda.ephemeral.dev/data-hash");
    assertThat(merged.getMetadata().getLabels())
        .containsOnlyKeys("app.kubernetes.io/managed-by", "lambda.ephemeral.dev/invocation");
  }

  @Test
  void secretOfAnotherTypeOrImmutableIsNotLeftByPredecessor() {
    // No update could make it the operator's: a Secret's type and an immutable Secret's data stay.
    Secret otherType = labelled(MANAGED_BY, "api-key", ownerReference("old-uid", true));
    otherType.setType("kubernetes.io/dockerconfigjson");
    Secret immutable = labelled(MANAGED_BY, "api-key", ownerReference("old-uid", true));
    immutable.setImmutable(true);
    Secret opaque = labelled(MANAGED_BY, "api-key", ownerReference("old-uid", true));
    opaque.setType("Opaque");
    opaque.setImmutable(false);

    assertThat(ResultSecret.isLeftByPredecessor(otherType, owner())).isFalse();
    assertThat(ResultSecret.isOwnedOrLeftFor(otherType, owner())).isFalse();
    assertThat(ResultSecret.isLeftByPredecessor(immutable, owner())).isFalse();
    assertThat(ResultSecret.isOwnedOrLeftFor(immutable, owner())).isFalse();
    assertThat(ResultSecret.isLeftByPredecessor(opaque, owner())).isTrue();
  }

  @Test
  void predecessorSecretOfTheTypeTheSpecAsksForIsTakenOver() {
    LambdaInvocation tlsOwner = owner();
    var spec = new dev.ephemeral.lambda.customresource.LambdaInvocationSpec();
    var secretSpec = new dev.ephemeral.lambda.customresource.SecretSpec();
    secretSpec.setType("kubernetes.io/tls");
    spec.setSecret(secretSpec);
    tlsOwner.setSpec(spec);
    Secret tls = labelled(MANAGED_BY, "api-key", ownerReference("old-uid", true));
    tls.setType("kubernetes.io/tls");
    Secret opaque = labelled(MANAGED_BY, "api-key", ownerReference("old-uid", true));
    opaque.setType("Opaque");

    assertThat(ResultSecret.isLeftByPredecessor(tls, tlsOwner)).isTrue();
    assertThat(ResultSecret.isLeftByPredecessor(opaque, tlsOwner)).isFalse();
    assertThat(ResultSecret.isLeftByPredecessor(tls, owner())).isFalse();
  }

  @Test
  void secretHasTheTypeOfThePlanWithItsRequiredKeys() {
    var plan =
        planWith()
            .keys(Map.of("tls.crt", "/api_key"))
            .shape("kubernetes.io/tls", Map.of("tls.key", "{{ result.size.memory }}"))
            .build();

    Secret secret = built(plan, succeeded(JSON_RESULT, null));

    assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(text(secret, "tls.crt")).isEqualTo(SECRET_VALUE);
    assertThat(text(secret, "tls.key")).isEqualTo("4Gi");
  }

  @Test
  void aRequiredKeyMissingFromTheDataIsResultKeyMissingNamingTypeAndKey() {
    // The spec check normally prevents this plan; the data check is the last word before a write.
    var plan = planWith().shape("kubernetes.io/ssh-auth", Map.of()).build();

    var build = resultSecret.build(owner(), plan, succeeded(JSON_RESULT, null), INVOKED_AT);

    assertThat(build)
        .asInstanceOf(type(Rejected.class))
        .satisfies(
            rejected -> {
              assertThat(rejected.reason()).isEqualTo(ReadyReason.ResultKeyMissing);
              assertThat(rejected.message())
                  .contains("kubernetes.io/ssh-auth", "ssh-privatekey", "nothing was written")
                  .doesNotContain(SECRET_VALUE);
            });
  }

  @Test
  void anEmptySshPrivateKeyOrADockerConfigThatIsNotAJsonObjectIsResultKeyMissing() {
    var ssh =
        planWith()
            .shape(
                "kubernetes.io/ssh-auth",
                Map.of("ssh-privatekey", "{{ result.missing | default('') }}"))
            .build();
    var docker =
        planWith()
            .shape(
                "kubernetes.io/dockerconfigjson",
                Map.of(".dockerconfigjson", "{{ result.api_key }}"))
            .build();

    for (var plan : List.of(ssh, docker)) {
      assertThat(resultSecret.build(owner(), plan, succeeded(JSON_RESULT, null), INVOKED_AT))
          .asInstanceOf(type(Rejected.class))
          .satisfies(
              rejected -> {
                assertThat(rejected.reason()).isEqualTo(ReadyReason.ResultKeyMissing);
                assertThat(rejected.message())
                    .contains(plan.secretShape().type())
                    .doesNotContain(SECRET_VALUE);
              });
    }
  }

  @Test
  void basicAuthNeedsOnlyOneOfUsernameAndPasswordAndDockerConfigsMustBeJsonObjects() {
    var basic =
        planWith()
            .shape("kubernetes.io/basic-auth", Map.of("password", "{{ result.api_key }}"))
            .build();
    var docker =
        planWith()
            .shape(
                "kubernetes.io/dockerconfigjson",
                Map.of(
                    ".dockerconfigjson",
                    "{\"auths\":{\"r\":{\"auth\":{{ result.api_key | base64encode | json }}}}}"))
            .build();

    assertThat(built(basic, succeeded(JSON_RESULT, null)).getType())
        .isEqualTo("kubernetes.io/basic-auth");
    Secret config = built(docker, succeeded(JSON_RESULT, null));
    assertThat(text(config, ".dockerconfigjson"))
        .isEqualTo(
            "{\"auths\":{\"r\":{\"auth\":\""
                + Base64.getEncoder().encodeToString(SECRET_VALUE.getBytes(StandardCharsets.UTF_8))
                + "\"}}}");
  }

  @Test
  void templatedKeysAreWrittenBesideProjectedKeys() {
    var plan =
        planWith()
            .keys(Map.of("api_key", "/api_key"))
            .shape(
                "Opaque",
                Map.of("header", "Bearer {{ result.api_key }}", "cpu", "{{ result.size.cpu }}"))
            .build();

    Secret secret = built(plan, succeeded(JSON_RESULT, null));

    assertThat(secret.getData()).containsOnlyKeys("result", "api_key", "header", "cpu");
    assertThat(text(secret, "header")).isEqualTo("Bearer " + SECRET_VALUE);
    assertThat(text(secret, "cpu")).isEqualTo("2");
  }

  @Test
  void aTemplateThatFailsOnTheResultWritesNothingAndQuotesNoValue() {
    var plan =
        planWith()
            .keys(Map.of("api_key", "/api_key"))
            .shape(
                "Opaque",
                Map.of("ok", "{{ result.api_key }}", "broken", "{{ result.nope.deeper }}"))
            .build();

    var build = resultSecret.build(owner(), plan, succeeded(JSON_RESULT, null), INVOKED_AT);

    assertThat(build)
        .asInstanceOf(type(Rejected.class))
        .satisfies(
            rejected -> {
              assertThat(rejected.reason()).isEqualTo(ReadyReason.ResultKeyMissing);
              assertThat(rejected.message())
                  .contains("spec.secret.template.broken", "nothing was written")
                  .doesNotContain(SECRET_VALUE, "sk-live", "4Gi");
            });
  }

  @Test
  void templatesOverAResultThatIsNotJsonAreResultKeyMissing() {
    var plan = planWith().shape("Opaque", Map.of("x", "{{ result }}")).build();

    assertThat(
            resultSecret.build(owner(), plan, succeeded("plain " + SECRET_VALUE, null), INVOKED_AT))
        .asInstanceOf(type(Rejected.class))
        .satisfies(
            rejected -> {
              assertThat(rejected.reason()).isEqualTo(ReadyReason.ResultKeyMissing);
              assertThat(rejected.message()).contains("not JSON").doesNotContain(SECRET_VALUE);
            });
  }

  @Test
  void updateOfASecretWithNoMetadataOfOthersIsTheDesiredSecret() {
    Secret desired = built(plan(), succeeded(JSON_RESULT, null));
    Secret expected = new SecretBuilder(desired).build();
    Secret existing =
        new SecretBuilder().withNewMetadata().withName("api-key-secret").endMetadata().build();

    Secret merged = ResultSecret.keepingForeignMetadata(desired, existing);

    assertThat(merged.getMetadata().getLabels()).isEqualTo(expected.getMetadata().getLabels());
    assertThat(merged.getMetadata().getAnnotations())
        .isEqualTo(expected.getMetadata().getAnnotations());
    assertThat(merged.getMetadata().getOwnerReferences())
        .isEqualTo(expected.getMetadata().getOwnerReferences());
    assertThat(merged.getMetadata().getFinalizers()).isNullOrEmpty();
  }

  // --- the data hash is keyed per process

  @Test
  void secretWrittenByAnotherProcessIsNotIntactBecauseARestartReKeys() {
    Secret secret = built(plan(), succeeded(JSON_RESULT, null));
    var restarted = new ResultSecret(new ObjectMapper(), DataHash.withRandomKey());

    assertThat(resultSecret.isIntact(secret)).isTrue();
    assertThat(restarted.isIntact(secret)).isFalse();
  }

  @Test
  void dataHashAnnotationIsAnHmacNotAPlainHashOfTheData() throws Exception {
    Secret secret = built(plan(), succeeded(JSON_RESULT, null));
    String annotation = secret.getMetadata().getAnnotations().get("lambda.ephemeral.dev/data-hash");

    assertThat(annotation).startsWith("hmac-sha256:");
    String mac = annotation.substring("hmac-sha256:".length());
    assertThat(mac).matches("[0-9a-f]{64}");
    assertThat(mac)
        .isNotEqualTo(sha256Hex(JSON_RESULT.getBytes(StandardCharsets.UTF_8)))
        .isNotEqualTo(sha256Hex(secret.getData().get("result").getBytes(StandardCharsets.UTF_8)))
        .isNotEqualTo(
            sha256Hex(
                ("result\0" + secret.getData().get("result") + "\0")
                    .getBytes(StandardCharsets.UTF_8)));
    assertThat(annotation).doesNotContain(SECRET_VALUE);
  }

  @Test
  void sameDataHashesTheSameWithinAProcessAndDifferentlyAcrossProcesses() {
    Map<String, String> data = Map.of("result", "e30=");

    assertThat(dataHash.of(data)).isEqualTo(dataHash.of(new HashMap<>(data)));
    assertThat(DataHash.withRandomKey().of(data)).isNotEqualTo(dataHash.of(data));
  }

  // --- fixtures

  private static final String MANAGED_BY = "lambda-invocation-operator";

  /**
   * A Secret named api-key-secret with the given managed-by (if not null) and invocation labels.
   */
  private static Secret labelled(String managedBy, String invocation, OwnerReference... refs) {
    var labels = new HashMap<String, String>();
    if (managedBy != null) {
      labels.put("app.kubernetes.io/managed-by", managedBy);
    }
    labels.put("lambda.ephemeral.dev/invocation", invocation);
    return new SecretBuilder()
        .withNewMetadata()
        .withName("api-key-secret")
        .withNamespace("shop")
        .withLabels(labels)
        .withOwnerReferences(refs)
        .endMetadata()
        .build();
  }

  private static OwnerReference configMapReference(boolean controller) {
    return new OwnerReferenceBuilder()
        .withApiVersion("v1")
        .withKind("ConfigMap")
        .withName("shop-config")
        .withUid("config-map-uid")
        .withController(controller)
        .build();
  }

  /** The ownerReference {@link ResultSecret#build} puts on the Secret. */
  private static OwnerReference ownerReferenceAsBuilt() {
    return new OwnerReferenceBuilder(ownerReference(UID, true))
        .withBlockOwnerDeletion(true)
        .build();
  }

  private static String sha256Hex(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private Secret built(InvocationPlan plan, Succeeded result) {
    var build = resultSecret.build(owner(), plan, result, INVOKED_AT);
    assertThat(build).isInstanceOf(Built.class);
    return ((Built) build).secret();
  }

  private static byte[] decoded(Secret secret, String key) {
    assertThat(secret.getData()).containsKey(key);
    return Base64.getDecoder().decode(secret.getData().get(key));
  }

  private static String text(Secret secret, String key) {
    return new String(decoded(secret, key), StandardCharsets.UTF_8);
  }

  private static Succeeded succeeded(String payload, String log) {
    return succeeded(payload.getBytes(StandardCharsets.UTF_8), log);
  }

  private static Succeeded succeeded(byte[] payload, String log) {
    return new Succeeded(200, "7", payload, log);
  }

  private static OwnerReference ownerReference(String uid, boolean controller) {
    return new OwnerReferenceBuilder()
        .withApiVersion("lambda.ephemeral.dev/v1alpha1")
        .withKind("LambdaInvocation")
        .withName("api-key")
        .withUid(uid)
        .withController(controller)
        .build();
  }

  private static LambdaInvocation owner() {
    var owner = new LambdaInvocation();
    owner.setMetadata(
        new ObjectMetaBuilder()
            .withName("api-key")
            .withNamespace("shop")
            .withUid(UID)
            .withGeneration(3L)
            .build());
    return owner;
  }

  private static InvocationPlan plan() {
    return planWith().build();
  }

  private static PlanBuilder planWith() {
    return new PlanBuilder();
  }

  /** The parts of an {@link InvocationPlan} that shape the Secret. */
  private static final class PlanBuilder {
    private boolean tailLog;
    private Optional<Duration> ttl = Optional.empty();
    private Map<String, JsonPointer> keys = Map.of();
    private Map<String, String> labels = Map.of();
    private Map<String, String> annotations = Map.of();
    private SecretShape shape = SecretShape.OPAQUE;

    PlanBuilder shape(String type, Map<String, String> templates) {
      this.shape = new SecretShape(type, templates);
      return this;
    }

    PlanBuilder tailLog(boolean tail) {
      this.tailLog = tail;
      return this;
    }

    PlanBuilder ttl(Duration duration) {
      this.ttl = Optional.of(duration);
      return this;
    }

    PlanBuilder keys(Map<String, String> pointers) {
      var compiled = new LinkedHashMap<String, JsonPointer>();
      pointers.forEach((key, pointer) -> compiled.put(key, JsonPointer.compile(pointer)));
      this.keys = compiled;
      return this;
    }

    PlanBuilder labels(Map<String, String> labels) {
      this.labels = labels;
      return this;
    }

    PlanBuilder annotations(Map<String, String> annotations) {
      this.annotations = annotations;
      return this;
    }

    InvocationPlan build() {
      return new InvocationPlan(
          "secret-generator",
          null,
          null,
          "{}".getBytes(StandardCharsets.UTF_8),
          null,
          tailLog,
          InvocationPlan.DEFAULT_TIMEOUT,
          Optional.empty(),
          "api-key-secret",
          ttl,
          keys,
          labels,
          annotations,
          InvokePolicy.EveryReconcile,
          List.of(),
          Optional.empty(),
          shape,
          List.of(),
          null,
          Optional.empty(),
          Optional.empty());
    }
  }
}
