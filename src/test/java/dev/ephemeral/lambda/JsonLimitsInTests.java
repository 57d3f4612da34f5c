package dev.ephemeral.lambda;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Raises Jackson's nesting limits once, before any test of this JVM builds a client, a mapper or
 * an in-process API server, as the operator's and the sandbox's mains do first thing.
 */
public final class JsonLimitsInTests implements LauncherSessionListener {

  @Override
  public void launcherSessionOpened(LauncherSession session) {
    JsonLimits.raiseDefaults();
  }
}
