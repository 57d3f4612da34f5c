package dev.ephemeral.lambda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What this build is: the project's version and those of the libraries it runs on, as the build
 * wrote them into {@code build.properties} (Maven resource filtering, from pom.xml). The jars are
 * shaded, so the libraries' own manifests are gone; the build knows the versions it resolved.
 *
 * @param version the project's version, such as 0.1.0
 * @param javaOperatorSdk java-operator-sdk's version
 * @param kubernetesClient fabric8 kubernetes-client's version
 * @param awsSdk the AWS SDK for Java v2's version
 */
public record BuildInfo(
    String version, String javaOperatorSdk, String kubernetesClient, String awsSdk) {

  private static final String RESOURCE = "build.properties";

  /** This build's. */
  public static BuildInfo current() {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            RESOURCE + " is missing: the classes were not built by Maven");
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new BuildInfo(
        properties.getProperty("version"),
        properties.getProperty("java-operator-sdk"),
        properties.getProperty("kubernetes-client"),
        properties.getProperty("aws-sdk"));
  }

  /** {@code --version} of both jars: the command and its version, then what it runs on. */
  public static final class VersionProvider implements CommandLine.IVersionProvider {

    @CommandLine.Spec CommandSpec spec;

    @Override
    public String[] getVersion() {
      BuildInfo build = current();
      return new String[] {
        spec.root().name() + " " + build.version(),
        "java-operator-sdk "
            + build.javaOperatorSdk()
            + ", fabric8 kubernetes-client "
            + build.kubernetesClient()
            + ", AWS SDK for Java "
            + build.awsSdk(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
