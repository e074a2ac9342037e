/**
 * The `batch/v1` Job of one attempt of a Kubernetes task, built from the task with its
 * templates already rendered: a name that fits the API's rules, Petit's labels (to find the
 * Jobs of a run again, after a crash too) with the full ids in annotations, one container
 * named `task`, no restarts or retries of Kubernetes' own (Petit owns retries), and two
 * safety nets should Petit be gone when the attempt ends: `ttlSecondsAfterFinished` and
 * `activeDeadlineSeconds`. Pure: no I/O.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildKubeJob } from "./manifest.ts";
 *
 * const job = buildKubeJob({
 *   jobId: "nightly_backup",
 *   runId: "mibc2x1f4-9a1c03ee",
 *   taskId: "dump",
 *   attempt: 1,
 *   suffix: "x7k2p",
 *   image: "busybox:1.36",
 *   command: ["sh", "-c", "echo hi"],
 *   args: [],
 *   env: { STAGE: "nightly" },
 *   spec: {
 *     namespace: null,
 *     requests: { memory: "64Mi" },
 *     limits: {},
 *     nodeSelector: { "kubernetes.io/arch": "arm64" },
 *     serviceAccount: null,
 *     imagePullPolicy: null,
 *   },
 *   timeoutMs: null,
 *   killGraceMs: 5000,
 * });
 * assert.equal(job.metadata.name, "nightly-backup-dump-1-x7k2p");
 * assert.equal(job.spec.backoffLimit, 0);
 * ```
 *
 * @module
 */

import type { KubernetesSpec } from "../../core/model.ts";
import type { ContainerSpec, EnvVar, KubeJob, KubeSecret, ObjectMeta } from "./types.ts";

/** Label and annotation keys Petit puts on its Jobs and their pods. */
export const PETIT_LABELS: Readonly<{
  managedBy: string;
  job: string;
  run: string;
  task: string;
  attempt: string;
}> = Object.freeze({
  managedBy: "app.kubernetes.io/managed-by",
  job: "petit.dev/job",
  run: "petit.dev/run",
  task: "petit.dev/task",
  attempt: "petit.dev/attempt",
});

/**
 * The value of `app.kubernetes.io/managed-by` on Petit's Jobs.
 *
 * @default {"petit"}
 */
export const MANAGED_BY = "petit";

/**
 * The name of the task's container in the pod.
 *
 * @default {"task"}
 */
export const CONTAINER_NAME = "task";

/**
 * Seconds a finished Job is kept before Kubernetes deletes it with its pods: a safety net,
 * since Petit deletes the Job itself when the attempt ends, unless it crashed meanwhile.
 *
 * @default {600}
 */
export const TTL_SECONDS_AFTER_FINISHED = 600;

/**
 * Seconds past the task's timeout after which Kubernetes itself stops the Job: a second net
 * for a Petit that is gone when the timeout passes. Petit's own timeout comes first.
 *
 * @default {60}
 */
export const DEADLINE_MARGIN_SECS = 60;

/** The longest name of a Job whose pods' `job-name` label must fit in 63 characters. */
const MAX_NAME = 63;

/** What the Job of one attempt is made from; templates are rendered already. */
export interface ManifestInput {
  /** Petit's job id. */
  readonly jobId: string;
  /** The run. */
  readonly runId: string;
  /** The task. */
  readonly taskId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** A short random `[a-z0-9]` text, so two runs of a task never take the same name. */
  readonly suffix: string;
  /** The rendered image. */
  readonly image: string;
  /** The rendered entrypoint; empty: the image's. */
  readonly command: readonly string[];
  /** The rendered arguments. */
  readonly args: readonly string[];
  /** The container's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Names of `env` entries whose values are secret (the job's `secrets:`): they go in the
   * attempt's Secret ({@linkcode buildKubeSecret}), and the Job refers to it.
   */
  readonly secretNames?: ReadonlySet<string>;
  /** The rest of the task's container settings. */
  readonly spec: Pick<
    KubernetesSpec,
    "namespace" | "requests" | "limits" | "nodeSelector" | "serviceAccount" | "imagePullPolicy"
  >;
  /** The task's timeout, or null for none. */
  readonly timeoutMs: number | null;
  /** SIGTERM → SIGKILL delay for the container when the pod is deleted. */
  readonly killGraceMs: number;
}

/**
 * A DNS-1123 label for the Job: `<job>-<task>-<attempt>-<suffix>`, lower-cased, other
 * characters as `-`, the ids shortened so the whole stays within 63 characters.
 */
export function jobName(jobId: string, taskId: string, attempt: number, suffix: string): string {
  const tail = `-${attempt}-${suffix}`;
  const slug = `${jobId}-${taskId}`.toLowerCase().replace(/[^a-z0-9]+/g, "-")
    .slice(0, MAX_NAME - tail.length).replace(/^-+|-+$/g, "");
  return `${slug || "petit"}${tail}`;
}

/**
 * `text` as a label value: at most 63 characters, letters, digits, `-`, `_` and `.`,
 * alphanumeric at both ends. Ids fit as they are, but for length; the full ids are kept in
 * annotations.
 */
export function labelValue(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, MAX_NAME)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** The label selector of every Job (and pod) Petit made for run `runId`. */
export function runSelector(runId: string): string {
  return `${PETIT_LABELS.managedBy}=${MANAGED_BY},${PETIT_LABELS.run}=${labelValue(runId)}`;
}

/** A short random suffix of `[a-z0-9]`. */
export function randomSuffix(length = 5): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return [...crypto.getRandomValues(new Uint8Array(length))]
    .map((b) => alphabet[b % alphabet.length]).join("");
}

/** The name, labels and annotations of the Job (and Secret) of one attempt. */
function attemptMeta(input: ManifestInput) {
  const annotations = {
    [PETIT_LABELS.job]: input.jobId,
    [PETIT_LABELS.run]: input.runId,
    [PETIT_LABELS.task]: input.taskId,
    [PETIT_LABELS.attempt]: String(input.attempt),
  };
  const labels: Record<string, string> = { [PETIT_LABELS.managedBy]: MANAGED_BY };
  for (const [key, value] of Object.entries(annotations)) labels[key] = labelValue(value);
  const name = jobName(input.jobId, input.taskId, input.attempt, input.suffix);
  return { name, labels, annotations } satisfies ObjectMeta;
}

/** The entries of `input.env` that are secret and not empty: what the Secret holds. */
function secretEntries(input: ManifestInput): [string, string][] {
  const names = input.secretNames;
  if (!names || names.size === 0) return [];
  return Object.entries(input.env).filter(([name, value]) => names.has(name) && value !== "");
}

/**
 * The Secret of one attempt: its secret environment values, named and labelled as its Job
 * (`type: Opaque`), or null when the container has none. Created before the Job, whose
 * container reads them with `secretKeyRef`, so they are not in the Job's spec.
 */
export function buildKubeSecret(input: ManifestInput): KubeSecret | null {
  const entries = secretEntries(input);
  if (entries.length === 0) return null;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: attemptMeta(input),
    type: "Opaque",
    stringData: Object.fromEntries(entries),
  };
}

/** The Job of one attempt. */
export function buildKubeJob(input: ManifestInput): KubeJob {
  const { name, labels, annotations: ids } = attemptMeta(input);
  const secret = new Set(secretEntries(input).map(([key]) => key));
  const env = Object.entries(input.env).map(([key, value]): EnvVar =>
    secret.has(key)
      ? { name: key, valueFrom: { secretKeyRef: { name, key } } }
      : { name: key, value }
  );
  const { spec } = input;
  const resources = {
    ...(hasAny(spec.requests) ? { requests: { ...spec.requests } } : {}),
    ...(hasAny(spec.limits) ? { limits: { ...spec.limits } } : {}),
  };
  const container: ContainerSpec = {
    name: CONTAINER_NAME,
    image: input.image,
    ...(input.command.length > 0 ? { command: [...input.command] } : {}),
    ...(input.args.length > 0 ? { args: [...input.args] } : {}),
    env,
    ...(spec.imagePullPolicy !== null ? { imagePullPolicy: spec.imagePullPolicy } : {}),
    ...(hasAny(resources) ? { resources } : {}),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      labels,
      annotations: ids,
    },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: TTL_SECONDS_AFTER_FINISHED,
      ...(input.timeoutMs !== null
        ? { activeDeadlineSeconds: Math.ceil(input.timeoutMs / 1000) + DEADLINE_MARGIN_SECS }
        : {}),
      template: {
        metadata: { labels, annotations: ids },
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: Math.ceil(input.killGraceMs / 1000),
          ...(spec.serviceAccount !== null ? { serviceAccountName: spec.serviceAccount } : {}),
          ...(hasAny(spec.nodeSelector) ? { nodeSelector: { ...spec.nodeSelector } } : {}),
          containers: [container],
        },
      },
    },
  };
}

function hasAny(map: object): boolean {
  return Object.keys(map).length > 0;
}
