package dev.ephemeral.lambda.policy;

import dev.ephemeral.lambda.customresource.FunctionPattern;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicy;
import dev.ephemeral.lambda.customresource.LambdaInvocationPolicySpec;
import dev.ephemeral.lambda.invoke.AssumedRole;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides, from the policies and the namespace's labels alone, whether a LambdaInvocation may
 * invoke its function, and with which role. Pure.
 *
 * <p>A policy allows a LambdaInvocation when it applies to its namespace, one of its function
 * patterns matches the full ARN the call would go to (see {@link FunctionArn#resolve}; a plain name
 * is looked up in the account of the credentials the policy's call would use), and the
 * LambdaInvocation keeps to its timeout and refresh limits. It is allowed when any policy allows
 * it. The role comes from the most specific allowing policy: one naming the namespace in {@code
 * namespaces} before one selecting it by labels; then the pattern with more literal (non-wildcard)
 * characters in name and qualifier. Two equally specific allowing policies with different roles are
 * a conflict: the LambdaInvocation is not invoked, and both policies report it.
 */
public final class PolicyEvaluator {

  private final String ownAccount;
  private final String defaultRegion;

  /**
   * @param ownAccount the account of the operator's own credentials; null when unknown
   * @param defaultRegion the region a call without spec.region goes to; null when unknown
   */
  public PolicyEvaluator(String ownAccount, String defaultRegion) {
    this.ownAccount = ownAccount;
    this.defaultRegion = defaultRegion;
  }

  private record Match(
      String policy, Optional<AssumedRole> role, boolean named, int literals, FunctionArn arn) {}

  /**
   * @param namespaceLabels the labels of the LambdaInvocation's namespace; null when unknown
   */
  public Permit evaluate(
      String namespace,
      Map<String, String> namespaceLabels,
      CallTarget plan,
      Collection<LambdaInvocationPolicy> policies) {
    List<LambdaInvocationPolicy> applicable =
        policies.stream()
            // A policy that does not fit the model is ignored: policies only grant, so that
            // can only allow less (its revoke too goes unread).
            .filter(p -> p.getSpec() != null && p.getSpec().getUnreadable() == null)
            .filter(p -> NamespaceSelection.applies(p.getSpec(), namespace, namespaceLabels))
            .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
            .toList();
    boolean revoke =
        applicable.stream().anyMatch(p -> Boolean.TRUE.equals(p.getSpec().getRevoke()));
    List<Match> matches = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (LambdaInvocationPolicy policy : applicable) {
      LambdaInvocationPolicySpec spec = policy.getSpec();
      Optional<AssumedRole> role =
          Optional.ofNullable(spec.getRoleArn())
              .map(arn -> new AssumedRole(arn, spec.getExternalId(), spec.getSessionTags()));
      String account = role.map(AssumedRole::account).orElse(ownAccount);
      var resolution =
          FunctionArn.resolve(
              plan.functionName(), plan.qualifier(), plan.region(), defaultRegion, account);
      if (!(resolution instanceof FunctionArn.Resolved resolved)) {
        continue;
      }
      FunctionArn arn = resolved.arn();
      Optional<FunctionPattern> pattern =
          Optional.ofNullable(spec.getFunctions()).orElse(List.of()).stream()
              .filter(Objects::nonNull)
              .filter(f -> matches(f, arn, account))
              .max(Comparator.comparingInt(PolicyEvaluator::literals));
      if (pattern.isEmpty()) {
        continue;
      }
      Optional<String> outOfLimits = outOfLimits(policy, plan);
      if (outOfLimits.isPresent()) {
        notes.add(outOfLimits.get());
        continue;
      }
      matches.add(
          new Match(
              policy.getMetadata().getName(),
              role,
              NamespaceSelection.named(spec, namespace),
              literals(pattern.get()),
              arn));
    }
    if (matches.isEmpty()) {
      return new Permit.Denied(
          denial(namespace, plan, applicable.isEmpty(), notes), revoke, List.of());
    }
    Comparator<Match> specificity =
        Comparator.comparing(Match::named).thenComparingInt(Match::literals);
    matches.sort(specificity.reversed().thenComparing(Match::policy));
    Match best = matches.get(0);
    List<String> tied =
        matches.stream()
            .filter(m -> specificity.compare(m, best) == 0 && !m.role().equals(best.role()))
            .map(Match::policy)
            .toList();
    if (!tied.isEmpty()) {
      List<String> conflicting = new ArrayList<>();
      conflicting.add(best.policy());
      conflicting.addAll(tied);
      return new Permit.Denied(
          "LambdaInvocationPolicies "
              + String.join(" and ", conflicting)
              + " both allow namespace "
              + namespace
              + " to invoke "
              + best.arn()
              + " equally specifically, with different roles; an administrator must make one"
              + " more specific",
          revoke,
          List.copyOf(conflicting));
    }
    return new Permit.Allowed(Optional.of(best.policy()), best.role());
  }

  /**
   * An absent account means the account of the call's credentials, an absent region the default
   * region: so a pattern with just a name is that function of the policy's own account and region.
   */
  private boolean matches(FunctionPattern pattern, FunctionArn arn, String account) {
    if (pattern.getName() == null || !Glob.matches(pattern.getName(), arn.name())) {
      return false;
    }
    if (pattern.getQualifier() != null
        && !Glob.matches(pattern.getQualifier(), arn.effectiveQualifier())) {
      return false;
    }
    boolean accountMatches =
        pattern.getAccount() == null
            ? arn.account().equals(account)
            : Glob.matches(pattern.getAccount(), arn.account());
    return accountMatches
        && (pattern.getRegion() == null
            ? arn.region().equals(defaultRegion)
            : Glob.matches(pattern.getRegion(), arn.region()));
  }

  private static int literals(FunctionPattern pattern) {
    return Glob.literals(pattern.getName()) + Glob.literals(pattern.getQualifier());
  }

  private static Optional<String> outOfLimits(LambdaInvocationPolicy policy, CallTarget plan) {
    var spec = policy.getSpec();
    String name = policy.getMetadata().getName();
    Optional<Duration> maxTimeout = duration(spec.getMaxTimeout());
    if (spec.getMaxTimeout() != null && maxTimeout.isEmpty()) {
      return Optional.of("policy " + name + " has an unreadable maxTimeout");
    }
    if (maxTimeout.filter(max -> plan.timeout().compareTo(max) > 0).isPresent()) {
      return Optional.of(
          "policy "
              + name
              + " allows a timeout of at most "
              + spec.getMaxTimeout()
              + " (without spec.timeout the operator waits 15m)");
    }
    Optional<Duration> minRefresh = duration(spec.getMinRefreshInterval());
    if (spec.getMinRefreshInterval() != null && minRefresh.isEmpty()) {
      return Optional.of("policy " + name + " has an unreadable minRefreshInterval");
    }
    if (minRefresh.isPresent()
        && plan.refreshInterval().filter(r -> r.compareTo(minRefresh.get()) < 0).isPresent()) {
      return Optional.of(
          "policy "
              + name
              + " allows a refreshInterval of at least "
              + spec.getMinRefreshInterval());
    }
    return Optional.empty();
  }

  private String denial(
      String namespace, CallTarget plan, boolean nonePresent, List<String> notes) {
    var resolution =
        FunctionArn.resolve(
            plan.functionName(), plan.qualifier(), plan.region(), defaultRegion, ownAccount);
    String function =
        resolution instanceof FunctionArn.Resolved r
            ? r.arn().toString()
            : plan.functionName() + " (" + ((FunctionArn.Unresolvable) resolution).reason() + ")";
    String message =
        nonePresent
            ? "no LambdaInvocationPolicy applies to namespace "
                + namespace
                + ", so it may not invoke "
                + function
            : "no LambdaInvocationPolicy allows namespace " + namespace + " to invoke " + function;
    return notes.isEmpty() ? message : message + "; " + String.join("; ", notes);
  }

  private static Optional<Duration> duration(String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(io.fabric8.kubernetes.api.model.Duration.parse(text).getDuration());
    } catch (ParseException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
