/**
 * The typed model of jobs and tasks that the loader builds from YAML and that the
 * executor, scheduler and library API use. Everything here is plain data: no I/O.
 *
 * @module
 */

import type { Schedule } from "../schedule/schedule.ts";

/** Job and task ids: safe in file names, URLs and environment variable names. */
export const ID_PATTERN: RegExp = /^[A-Za-z0-9_.-]+$/;

/** When a task runs, judged on its direct dependencies. */
export type TaskCondition = "all_success" | "on_failure" | "all_done";

/** Which failures are retried. */
export type RetryCondition = "always" | "transient_only" | "never";

/** How a task is retried after a failed attempt. */
export interface RetryPolicy {
  /** Number of retries: total executions = maxAttempts + 1. */
  readonly maxAttempts: number;
  /** Delay before the first retry, in milliseconds. */
  readonly delayMs: number;
  /** `fixed` waits `delayMs` each time; `exponential` doubles it per retry. */
  readonly backoff: "fixed" | "exponential";
  /** Upper bound of the delay with exponential backoff, in milliseconds. */
  readonly maxDelayMs: number | null;
  /** Which failures are retried. */
  readonly condition: RetryCondition;
}

/** The default retry policy: no retries. */
export const NO_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 0,
  delayMs: 0,
  backoff: "fixed",
  maxDelayMs: null,
  condition: "always",
});

/** How a command task's process is started. */
export type CommandKind = "command" | "shell" | "python";

/** A task that runs a program. String fields may hold `{{ … }}` templates. */
export interface CommandSpec {
  /** How the process is started. */
  readonly kind: CommandKind;
  /** Program to run (`command` kind). */
  readonly command: string | null;
  /** Arguments (`command` kind) — already stringified. */
  readonly args: readonly string[];
  /** Script text (`shell` and `python` kinds). */
  readonly script: string | null;
  /** Python only: pass the script with `-c` instead of on stdin. */
  readonly inline: boolean;
  /** Working directory as written (may hold templates); relative paths resolve against the job file's folder. */
  readonly workingDir: string | null;
  /** Task-level environment (job environment is merged in by the executor). */
  readonly environment: Readonly<Record<string, string>>;
}

/** One node of a job's DAG. */
export interface TaskSpec {
  /** Unique id. */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** Ids of the tasks this one waits for. */
  readonly dependsOn: readonly string[];
  /** When it runs, judged on its dependencies. */
  readonly condition: TaskCondition;
  /** Retry policy. */
  readonly retry: RetryPolicy;
  /** Timeout of one attempt in milliseconds, or null for none. */
  readonly timeoutMs: number | null;
  /** What the task does: a program (from YAML or CommandTaskBuilder)... */
  readonly command: CommandSpec | null;
  /** ...or TypeScript code (library users). Exactly one of the two is set. */
  readonly custom: CustomTask | null;
}

/** Outputs a task publishes for its downstream tasks. */
export interface TaskOutputs {
  /** Sets an output; values are stored as strings. */
  set(key: string, value: string | number | boolean): void;
  /** Reads an output set earlier in this attempt. */
  get(key: string): string | undefined;
}

/** What a finished upstream task left for its dependents. */
export interface TaskInput {
  /** How the upstream task ended. */
  readonly status: "completed" | "failed" | "skipped";
  /** Captured standard output (kept part). */
  readonly stdout: string;
  /** Exit code, or null when none. */
  readonly exitCode: number | null;
  /** `key=value` outputs. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Given to a TypeScript task's `execute`. */
export interface TaskContext {
  /** The job. */
  readonly jobId: string;
  /** The run. */
  readonly runId: string;
  /** The task. */
  readonly taskId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** The job's `config` map. */
  readonly config: Readonly<Record<string, ConfigValue>>;
  /** Finished upstream tasks, by id. */
  readonly inputs: ReadonlyMap<string, TaskInput>;
  /** This task's outputs. */
  readonly outputs: TaskOutputs;
  /** Aborted on timeout or cancellation: long work should stop when it fires. */
  readonly signal: AbortSignal;
  /** Writes a line to the task's captured stdout. */
  log(line: string): void;
}

/** A task written in TypeScript. Throwing (or rejecting) fails the attempt. */
export interface CustomTask {
  /** Runs one attempt. */
  execute(ctx: TaskContext): Promise<void> | void;
}

/** How an upstream job must have run for a dependent job to fire. */
export type JobDependencyCondition =
  | { readonly kind: "last_success" }
  | { readonly kind: "last_complete" }
  | { readonly kind: "within_window"; readonly windowMs: number };

/** A dependency of one job on another. */
export interface JobDependency {
  /** The job. */
  readonly jobId: string;
  /** When it runs, judged on its dependencies. */
  readonly condition: JobDependencyCondition;
}

/** Catch-up policy for slots missed while Petit was down. */
export type CatchupPolicy = "none" | "last" | "all";

/**
 * The most missed slots a job with `catchup: all` runs when it sets no limit
 * ({@link JobSpec.catchupLimit}).
 *
 * @default {10}
 */
export const DEFAULT_CATCHUP_LIMIT = 10;

/** Scalar values allowed in a job's `config` map. */
export type ConfigValue = string | number | boolean | null;

/** A job as loaded from one YAML file. */
export interface JobSpec {
  /** Unique id. */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** Free text, or null. */
  readonly description: string | null;
  /** Parsed schedule, or null for a job that only runs when triggered. */
  readonly schedule: Schedule | null;
  /** Whether the scheduler fires it. */
  readonly enabled: boolean;
  /** Concurrent runs of this job, or null for unlimited. */
  readonly maxConcurrency: number | null;
  /** Values for `{{ config.KEY }}`. */
  readonly config: Readonly<Record<string, ConfigValue>>;
  /** Environment for every task (task values win). */
  readonly environment: Readonly<Record<string, string>>;
  /** Ids of tasks that must finish first. */
  readonly dependsOn: readonly JobDependency[];
  /** What to do with slots missed while down. */
  readonly catchup: CatchupPolicy;
  /** Most missed slots run with `catchup: all` (see {@link DEFAULT_CATCHUP_LIMIT}). */
  readonly catchupLimit: number;
  /** Tasks in file order. */
  readonly tasks: readonly TaskSpec[];
  /** Absolute path of the file the job came from (empty for jobs built in code). */
  readonly file: string;
}
