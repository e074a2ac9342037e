/**
 * The Kubernetes objects of one attempt of a Kubernetes task (`run_kubernetes.ts`): the
 * Secret of its secret environment values (when it has any) and its Job, created in that
 * order (a container whose Secret is missing fails at once), the Job then made the Secret's
 * owner; and their removal when the attempt ends, whatever the ending. Needs --allow-net.
 *
 * @module
 */

import { delay } from "../../core/delay.ts";
import { KubeApiError } from "../kube/errors.ts";
import { TTL_SECONDS_AFTER_FINISHED } from "../kube/manifest.ts";
import type { KubeClient, KubeJob, KubeSecret } from "../kube/types.ts";
import type { KubeAttemptOutput } from "./kube_output.ts";

/** The Job of an attempt and how to reach it; its Secret, if any, has the same name. */
export interface JobRef {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  /** The rendered image, for messages. */
  readonly image: string;
}

/** What may exist on the cluster, so that the end of the attempt deletes it. */
export interface MadeObjects {
  job: boolean;
  secret: boolean;
}

/** How long the removal waits for the pods to be gone, and how often it looks. */
export interface RemovalTimings {
  readonly pollMinMs: number;
  readonly pollMaxMs: number;
  readonly podsGoneMarginMs: number;
}

/**
 * Creates the attempt's Secret (when `secret` is not null), then its Job, then makes the Job
 * the Secret's owner. `made` says what may exist, also when this throws: a 4xx answer made
 * nothing, a create that timed out may have been done.
 */
export async function createObjects(
  job: JobRef,
  manifest: KubeJob,
  secret: KubeSecret | null,
  made: MadeObjects,
  out: KubeAttemptOutput,
): Promise<void> {
  if (secret !== null) {
    try {
      await job.client.createSecret(job.namespace, secret);
      made.secret = true;
    } catch (err) {
      made.secret = !refused(err);
      throw err;
    }
  }
  let created: KubeJob;
  try {
    created = await job.client.createJob(job.namespace, manifest);
    made.job = true;
  } catch (err) {
    made.job = !refused(err);
    throw err;
  }
  if (secret !== null) await ownSecret(job, created, out);
}

/**
 * Deletes what `made` says may exist: the Job (Background: its pods go too), waiting until
 * its pods are gone for the kill grace plus a margin, then the Secret. What went wrong is
 * noted on the attempt's stderr.
 */
export async function removeObjects(
  job: JobRef,
  made: MadeObjects,
  graceMs: number,
  t: RemovalTimings,
  out: KubeAttemptOutput,
): Promise<void> {
  if (made.job) {
    const problem = await removeJob(job, graceMs, t);
    if (problem !== null) out.note(problem);
  }
  if (made.secret) {
    try {
      await job.client.deleteSecret(job.namespace, job.name);
    } catch (err) {
      out.note(
        `could not delete Secret ${job.namespace}/${job.name}: ${errorText(err)} ` +
          "(Kubernetes deletes it with its Job)",
      );
    }
  }
}

/** A 4xx answer: the server made nothing. */
function refused(err: unknown): boolean {
  return err instanceof KubeApiError && err.status >= 400 && err.status < 500;
}

/**
 * Makes the Job the owner of its Secret, so that Kubernetes deletes the Secret with the Job
 * should Petit be gone when the attempt ends. Not fatal: a failure is noted on stderr.
 */
async function ownSecret(job: JobRef, created: KubeJob, out: KubeAttemptOutput): Promise<void> {
  const uid = created.metadata.uid;
  if (uid === undefined) return;
  try {
    await job.client.setSecretOwners(job.namespace, job.name, [
      { apiVersion: "batch/v1", kind: "Job", name: job.name, uid },
    ]);
  } catch (err) {
    out.note(`could not make Job ${job.name} the owner of its Secret: ${errorText(err)}`);
  }
}

/**
 * Deletes the Job (Background: its pods go too) and waits until its pods are gone, for the
 * kill grace plus a margin. Returns what went wrong, for the attempt's stderr, or null.
 */
async function removeJob(job: JobRef, graceMs: number, t: RemovalTimings): Promise<string | null> {
  const where = `Job ${job.namespace}/${job.name}`;
  try {
    await job.client.deleteJob(job.namespace, job.name);
  } catch (err) {
    return `could not delete ${where}: ${errorText(err)} (Kubernetes deletes it ` +
      `${TTL_SECONDS_AFTER_FINISHED} s after it ends)`;
  }
  const deadline = Date.now() + graceMs + t.podsGoneMarginMs;
  for (let wait = t.pollMinMs;; wait = Math.min(wait * 1.5, t.pollMaxMs)) {
    try {
      const pods = await job.client.listPods(job.namespace, `job-name=${job.name}`);
      if (pods.length === 0) return null;
    } catch (err) {
      return `could not check that the pods of ${where} are gone: ${errorText(err)}`;
    }
    if (Date.now() >= deadline) {
      return `the pods of ${where} are still terminating after ${
        seconds(graceMs + t.podsGoneMarginMs)
      }`;
    }
    await delay(Math.min(wait, Math.max(0, deadline - Date.now())));
  }
}

/** The message of an error. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `300 s`, `2.5 s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
