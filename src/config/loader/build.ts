/**
 * Builds the model: turns the shape-checked content of a valid file into a JobSpec, with
 * every default filled in and durations in milliseconds. Also the helpers that read a
 * job's file back (its folder, its name in messages).
 *
 * @module
 */

import { basename, dirname, isAbsolute, resolve } from "node:path";
import { parseDuration } from "../../schedule/duration.ts";
import {
  type CommandKind,
  type ConfigValue,
  DEFAULT_EXPECT_STATUS,
  DEFAULT_HTTP_METHOD,
  type ExpectedStatus,
  type HttpSpec,
  type JobDependency,
  type JobSpec,
  type KubernetesSpec,
  type ParamSpec,
  type RetryPolicy,
  type TaskCondition,
  type TaskSpec,
} from "../../core/model.ts";
import type { Schedule } from "../../schedule/schedule.ts";
import { buildNotify } from "../notify.ts";
import type { JobFile, TaskFile } from "../schema.ts";
import { type HostTable, taskHost } from "./host_rules.ts";

/**
 * The most missed slots a job with `catchup: all` runs, when it sets no `catchup_limit`.
 *
 * @default {10}
 */
export const DEFAULT_CATCHUP_LIMIT = 10;

/**
 * The job a valid file describes. `deps` are the upstream job ids as analyzed, in the order of
 * `depends_on`; `file` is resolved to an absolute path.
 */
export function buildJob(
  file: string,
  data: JobFile,
  schedule: Schedule | null,
  deps: { jobId: string }[],
  hosts: HostTable = {},
): JobSpec {
  const environment = stringMap(data.environment);
  const dependsOn: JobDependency[] = (data.depends_on ?? []).map((dep, j) => {
    const jobId = deps[j]?.jobId ?? (typeof dep === "string" ? dep : (dep.job ?? dep.job_id)!);
    if (
      typeof dep === "string" || dep.condition === undefined || dep.condition === "last_success"
    ) {
      return { jobId, condition: { kind: "last_success" } };
    }
    if (dep.condition === "last_complete") return { jobId, condition: { kind: "last_complete" } };
    const windowMs = typeof dep.condition === "object"
      ? dep.condition.within_window.seconds * 1000
      : toMs(dep.window!);
    return { jobId, condition: { kind: "within_window", windowMs } };
  });
  return {
    id: data.id,
    name: data.name ?? data.id,
    description: data.description ?? null,
    schedule,
    enabled: data.enabled ?? true,
    maxConcurrency: data.max_concurrency ?? null,
    config: (data.config ?? {}) as Record<string, ConfigValue>,
    environment,
    dependsOn,
    catchup: data.catchup ?? "none",
    catchupLimit: data.catchup_limit ?? DEFAULT_CATCHUP_LIMIT,
    tasks: data.tasks.map((t) => buildTask(t, dirname(resolve(file)), data.host, hosts)),
    file: resolve(file),
    ...(data.params !== undefined ? { params: buildParams(data.params) } : {}),
    ...(data.env_file !== undefined
      ? { envFile: inFolder(dirname(resolve(file)), data.env_file) }
      : {}),
    ...(data.secrets !== undefined ? { secrets: [...new Set(data.secrets)] } : {}),
    // Absent, the config file's defaults apply: only a written `notify` is set.
    ...(data.notify !== undefined ? { notify: data.notify.map(buildNotify) } : {}),
  };
}

/** A task as the model holds it; `dir` is the job file's folder, `jobHost` the job's `host`. */
function buildTask(
  t: TaskFile,
  dir: string,
  jobHost: string | undefined,
  hosts: HostTable,
): TaskSpec {
  const host = taskHost(t.type ?? "command", t.host, jobHost, hosts);
  const type = t.type ?? "command";
  const condition: TaskCondition = t.condition === "always"
    ? "all_done"
    : (t.condition ?? "all_success");
  return {
    id: t.id,
    name: t.name ?? t.id,
    dependsOn: t.depends_on ?? [],
    condition,
    retry: buildRetry(t.retry),
    timeoutMs: t.timeout_secs !== undefined
      ? Math.round(t.timeout_secs * 1000)
      : t.timeout !== undefined
      ? parseDuration(t.timeout)
      : null,
    command: type === "http" || type === "job" || type === "kubernetes" ? null : {
      kind: type satisfies CommandKind,
      // A list is for type: kubernetes (the loader refuses it on other types).
      command: typeof t.command === "string" ? t.command : null,
      args: (t.args ?? []).map(String),
      script: t.script ?? null,
      inline: t.inline ?? false,
      workingDir: t.working_dir ?? null,
      environment: stringMap(t.environment),
    },
    custom: null,
    http: type === "http" ? buildHttp(t) : null,
    ...(type === "job" ? { job: { jobId: t.job!, params: stringMap(t.params) } } : {}),
    ...(type === "kubernetes" ? { kubernetes: buildKubernetes(t) } : {}),
    ...(t.env_file !== undefined ? { envFile: inFolder(dir, t.env_file) } : {}),
    ...(host !== null ? { host } : {}),
  };
}

/** `params:` of a job file as the model holds it: every value a string, in file order. */
function buildParams(params: NonNullable<JobFile["params"]>): ParamSpec[] {
  return Object.entries(params).map(([name, p]) => {
    const full = typeof p === "object" ? p : { default: p };
    return {
      name,
      default: full.default === undefined ? null : String(full.default),
      description: "description" in full ? full.description ?? null : null,
      pattern: "pattern" in full ? full.pattern ?? null : null,
    };
  });
}

/**
 * A path of the job file resolved against its folder `dir`; `~/…` is left as written (it is
 * the home folder of whoever reads the file, when it is read).
 */
function inFolder(dir: string, path: string): string {
  return path.startsWith("~/") || isAbsolute(path) ? path : resolve(dir, path);
}

/** The request of an HTTP task (`url` is there: the loader checked it). */
function buildHttp(t: TaskFile): HttpSpec {
  return {
    url: t.url!,
    method: t.method ?? DEFAULT_HTTP_METHOD,
    headers: stringMap(t.headers),
    body: t.body ?? null,
    expectStatus: (t.expect_status as ExpectedStatus[] | undefined) ?? DEFAULT_EXPECT_STATUS,
  };
}

/** The container of a Kubernetes task (`image` is there: the loader checked it). */
function buildKubernetes(t: TaskFile): KubernetesSpec {
  const quantities = (q: { cpu?: string | number; memory?: string | number } | undefined) => ({
    ...(q?.cpu !== undefined ? { cpu: String(q.cpu) } : {}),
    ...(q?.memory !== undefined ? { memory: String(q.memory) } : {}),
  });
  return {
    image: t.image!,
    command: Array.isArray(t.command) ? t.command : [],
    args: (t.args ?? []).map(String),
    namespace: t.namespace ?? null,
    environment: stringMap(t.environment),
    requests: quantities(t.resources?.requests),
    limits: quantities(t.resources?.limits),
    nodeSelector: stringMap(t.node_selector),
    serviceAccount: t.service_account ?? null,
    imagePullPolicy: t.image_pull_policy ?? null,
  };
}

/** A retry policy; no `retry` means no retries. */
function buildRetry(r: TaskFile["retry"]): RetryPolicy {
  return {
    maxAttempts: r?.max_attempts ?? 0,
    delayMs: r?.delay !== undefined
      ? parseDuration(r.delay)
      : Math.round((r?.delay_secs ?? 0) * 1000),
    backoff: r?.backoff ?? "fixed",
    maxDelayMs: r?.max_delay !== undefined ? toMs(r.max_delay) : null,
    condition: r?.condition ?? "always",
  };
}

/** A duration in seconds (number) or as text (`"1m30s"`), in milliseconds. */
function toMs(value: string | number): number {
  return typeof value === "number" ? Math.round(value * 1000) : parseDuration(value);
}

/** Environment values as strings (YAML may give numbers and booleans). */
function stringMap(
  map: Record<string, string | number | boolean> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) out[k] = String(v);
  return out;
}

/** The folder a job's relative `working_dir` resolves against. */
export function jobDir(job: JobSpec): string {
  return job.file ? dirname(job.file) : Deno.cwd();
}

/** A short name for a job file in messages. */
export function fileLabel(job: JobSpec): string {
  return job.file ? basename(job.file) : job.id;
}
