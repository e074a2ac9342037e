/**
 * The Kubernetes cluster of the commands that run tasks (`pt run`, `trigger`, `retry`): the
 * config file's `[kubernetes]` table, made into a client only when a Kubernetes task runs,
 * and the clean-up of the Jobs of runs a crash interrupted. A bad config file is a usage
 * error, as for hosts.
 *
 * @module
 */

import {
  type ConfigFile,
  kubernetesSettings,
  readConfigFile,
  SettingsError,
} from "../config/settings.ts";
import { type KubernetesCluster, lazyCluster } from "../exec/kube/cluster.ts";
import { UsageError } from "./output.ts";

// Apart, so that `pt run`'s scheduler process has it without the config file's parser.
export { cleanupInterruptedJobs } from "./kube_cleanup.ts";

/** The cluster of a config file that was read already. */
export function clusterOf(file: ConfigFile): KubernetesCluster {
  return lazyCluster(kubernetesSettings(file));
}

/** The cluster of the config file (`config`, else PETIT_CONFIG, else the default file). */
export async function readCluster(config: string | undefined): Promise<KubernetesCluster> {
  try {
    return clusterOf(await readConfigFile(config));
  } catch (err) {
    if (err instanceof SettingsError) throw new UsageError(err.message);
    throw err;
  }
}
