package dev.ephemeral.lambda.bench;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * What the function did for one run, counted at the function by each call's payload (which names
 * its resource): how often each resource's function ran, and how many requests it answered 429
 * without running.
 *
 * @param resources the resources (and payloads) of the run
 * @param requests the Invoke requests the endpoint received, run or throttled
 * @param runs the calls that ran
 * @param duplicates runs beyond one per resource
 * @param neverRun resources whose function did not run
 */
record Executions(int resources, int requests, int runs, int duplicates, int neverRun) {

  /**
   * @param ranFor the payload index of each call that ran
   * @param requests the Invoke requests received, including those answered 429
   */
  static Executions of(Collection<Integer> ranFor, int requests, int resources) {
    Map<Integer, Integer> runsByResource = new HashMap<>();
    for (int index : ranFor) {
      runsByResource.merge(index, 1, Integer::sum);
    }
    int duplicates = 0;
    for (int runs : runsByResource.values()) {
      duplicates += runs - 1;
    }
    int run = 0;
    for (int i = 0; i < resources; i++) {
      if (runsByResource.containsKey(i)) {
        run++;
      }
    }
    return new Executions(resources, requests, ranFor.size(), duplicates, resources - run);
  }

  /** Requests answered 429 TooManyRequestsException: the function did not run. */
  int throttled() {
    return requests - runs;
  }

  /** Throttled requests as a share of all requests; NaN without requests. */
  double throttledShare() {
    return requests == 0 ? Double.NaN : (double) throttled() / requests;
  }

  double runsPerResource() {
    return resources == 0 ? Double.NaN : (double) runs / resources;
  }
}
