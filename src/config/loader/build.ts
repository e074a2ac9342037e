/**
 * Builds the model: turns the shape-checked content of a valid file into a JobSpec, with
 * every default filled in and durations in milliseconds. Also the helpers that read a
 * job's file back (its folder, its name in messages).
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import { parseDuration } from "../../schedule/duration.ts";
import type {
  CommandKind,
  ConfigValue,
  JobDependency,
  JobSpec,
  RetryPolicy,
  TaskCondition,
  TaskSpec,
} from "../../core/model.ts";
import type { Schedule } from "../../schedule/schedule.ts";
import type { JobFile, TaskFile } from "../schema.ts";

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
    tasks: data.tasks.map((t) => buildTask(t)),
    file: resolve(file),
  };
}

/** A task as the model holds it. */
function buildTask(t: TaskFile): TaskSpec {
  const kind: CommandKind = t.type ?? "command";
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
    command: {
      kind,
      command: t.command ?? null,
      args: (t.args ?? []).map(String),
      script: t.script ?? null,
      inline: t.inline ?? false,
      workingDir: t.working_dir ?? null,
      environment: stringMap(t.environment),
    },
    custom: null,
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
