/**
 * The clean-up, at start-up, of the Kubernetes Jobs of runs a crash interrupted (recovery's
 * `cleanupRemote`). Apart from `cluster.ts`, which reads the config file, so that `pt run`'s
 * scheduler process, which gets its settings as plain data (`run/plan.ts`), never loads the
 * config file's parser.
 *
 * @module
 */

import { deleteJobsOfRuns, type KubernetesCluster } from "../exec/kube/cluster.ts";
import { KubeConfigError } from "../exec/kube/kubeconfig.ts";
import type { Logger } from "../scheduler/log.ts";

/**
 * Deletes the Jobs of interrupted runs (recovery's `cleanupRemote`) when a cluster is
 * configured; with none, it does nothing. What it deletes and what fails is logged.
 */
export function cleanupInterruptedJobs(
  cluster: KubernetesCluster,
  log: Logger,
): (runIds: ReadonlySet<string>) => Promise<void> {
  return async (runIds) => {
    try {
      const { deleted } = await deleteJobsOfRuns(await cluster.client(), runIds);
      for (const job of deleted) log.info(`deleted Kubernetes Job ${job} of an interrupted run`);
    } catch (err) {
      // No cluster configured: no Kubernetes task could have run.
      if (err instanceof KubeConfigError && err.path === null) return;
      log.warn(
        `could not delete the Kubernetes Jobs of interrupted runs: ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
  };
}
