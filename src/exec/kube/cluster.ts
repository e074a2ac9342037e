/**
 * The cluster of Kubernetes tasks as a process shares it: the kubeconfig is read and the
 * client made when the first Kubernetes task runs (never in a process that runs none), then
 * every attempt uses that client. Also the clean-up of the Jobs an interrupted run left on
 * the cluster, found by their run label. Needs --allow-read and --allow-env (kubeconfig),
 * --allow-net (the API server).
 *
 * @module
 */

import { createKubeClient } from "./client.ts";
import { KubeConfigError, resolveClusterAccess } from "./kubeconfig.ts";
import { KubeApiError } from "./errors.ts";
import { PETIT_LABELS, runSelector } from "./manifest.ts";
import type { KubeClient, KubernetesSettings } from "./types.ts";

/** The client of the configured cluster, made on first use. */
export interface KubernetesCluster {
  /**
   * The client; the first call reads the kubeconfig and later calls share the client. Throws
   * {@linkcode KubeConfigError} when no cluster is configured or its kubeconfig is unusable
   * (not kept: a later call tries again, so a fixed file is picked up).
   */
  client(): Promise<KubeClient>;
  /** Releases the client, if one was made. */
  close(): void;
}

/** Options of {@linkcode lazyCluster}. */
export interface LazyClusterOptions {
  /** Environment read for `$KUBECONFIG` and `$HOME` (default: the process's). */
  readonly env?: (name: string) => string | undefined;
  /** Retries of each API call (default: the client's). */
  readonly retries?: number;
  /** First backoff between retries, in ms (default: the client's). */
  readonly retryBaseMs?: number;
}

/** A {@linkcode KubernetesCluster} for the `[kubernetes]` settings. */
export function lazyCluster(
  settings: KubernetesSettings,
  options: LazyClusterOptions = {},
): KubernetesCluster {
  let made: Promise<KubeClient> | null = null;
  let client: KubeClient | null = null;
  return {
    client() {
      made ??= open(settings, options).then(
        (c) => (client = c),
        (err) => {
          made = null;
          throw err;
        },
      );
      return made;
    },
    close() {
      client?.close();
      client = null;
      made = null;
    },
  };
}

async function open(
  settings: KubernetesSettings,
  options: LazyClusterOptions,
): Promise<KubeClient> {
  try {
    const access = await resolveClusterAccess(settings, options.env);
    return createKubeClient(access, { retries: options.retries, retryBaseMs: options.retryBaseMs });
  } catch (err) {
    // No file at all (path null): the message says what to configure, in Petit's words.
    if (err instanceof KubeConfigError && err.path === null) {
      throw new KubeConfigError(
        "no Kubernetes cluster configured: set [kubernetes] kubeconfig in the config file, or " +
          `KUBECONFIG (${err.message})`,
        null,
        { cause: err },
      );
    }
    throw err;
  }
}

/** What {@linkcode deleteJobsOfRuns} did. */
export interface RunJobsCleanup {
  /** `namespace/name` of each Job deleted. */
  readonly deleted: string[];
}

/**
 * Deletes the Jobs (and, by Background propagation, the pods) Petit made for `runIds`:
 * those labelled with the run and annotated with its full id. Looks in every namespace, or,
 * when the user may not list Jobs cluster-wide (403), in the cluster's default namespace.
 */
export async function deleteJobsOfRuns(
  client: KubeClient,
  runIds: Iterable<string>,
): Promise<RunJobsCleanup> {
  const deleted: string[] = [];
  for (const runId of runIds) {
    const selector = runSelector(runId);
    let jobs;
    try {
      jobs = await client.listJobs(null, selector);
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.status !== 403) throw err;
      jobs = await client.listJobs(client.access.namespace, selector);
    }
    for (const job of jobs) {
      const { name, namespace, annotations } = job.metadata;
      // A label value may be a shortened id: the annotation holds the whole one.
      if (!name || !namespace || annotations?.[PETIT_LABELS.run] !== runId) continue;
      await client.deleteJob(namespace, name);
      deleted.push(`${namespace}/${name}`);
    }
  }
  return { deleted };
}
