package dev.ephemeral.lambda.customresource;

import static dev.ephemeral.lambda.customresource.PolicyRules.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * Functions a policy allows, as globs over the parts of the full ARN: {@code *} matches any run of
 * characters, {@code ?} one character; everything else matches itself, case-sensitively.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FunctionPattern {

  @Required
  @Size(min = 1, max = NAME_GLOB_MAX_LENGTH)
  @Pattern(NAME_GLOB_PATTERN)
  @JsonPropertyDescription(
      "Function name glob, such as secret-* or config-fetcher. Case-sensitive, as Lambda's"
          + " function names are.")
  private String name;

  @Size(min = 1, max = QUALIFIER_GLOB_MAX_LENGTH)
  @Pattern(QUALIFIER_GLOB_PATTERN)
  @JsonPropertyDescription(
      "Version or alias glob, such as production or *. An unqualified call counts as $LATEST."
          + " Absent means any qualifier.")
  private String qualifier;

  @Size(min = 1, max = ACCOUNT_GLOB_MAX_LENGTH)
  @Pattern(ACCOUNT_GLOB_PATTERN)
  @JsonPropertyDescription(
      "AWS account glob, such as 123456789012 or *. Absent means the account of the credentials"
          + " the call is made with: the policy's roleArn's account, or the operator's own.")
  private String account;

  @Size(min = 1, max = REGION_GLOB_MAX_LENGTH)
  @Pattern(REGION_GLOB_PATTERN)
  @JsonPropertyDescription(
      "AWS region glob, such as eu-west-1, eu-* or *. Absent means the operator's default region.")
  private String region;

  public FunctionPattern() {}

  public FunctionPattern(String name, String qualifier, String account, String region) {
    this.name = name;
    this.qualifier = qualifier;
    this.account = account;
    this.region = region;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getQualifier() {
    return qualifier;
  }

  public void setQualifier(String qualifier) {
    this.qualifier = qualifier;
  }

  public String getAccount() {
    return account;
  }

  public void setAccount(String account) {
    this.account = account;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }
}
