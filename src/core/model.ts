/**
 * The typed model of jobs and tasks that the loader builds from YAML and that the
 * executor, scheduler and library API use. Everything here is plain data: no I/O.
 *
 * @module
 */

import type { Schedule } from "../schedule/schedule.ts";
import type { NotifySpec } from "./notify.ts";

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

/** Methods an HTTP task may send. */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** The method of an HTTP task. */
export type HttpMethod = typeof HTTP_METHODS[number];

/**
 * The method of an HTTP task that sets none.
 *
 * @default {"GET"}
 */
export const DEFAULT_HTTP_METHOD: HttpMethod = "GET";

/** A response status an HTTP task accepts: a code such as `404`, or a class such as `"2xx"`. */
export type ExpectedStatus = number | `${1 | 2 | 3 | 4 | 5}xx`;

/**
 * The statuses an HTTP task accepts when it sets no `expect_status`.
 *
 * @default {["2xx"]}
 */
export const DEFAULT_EXPECT_STATUS: readonly ExpectedStatus[] = Object.freeze(["2xx"] as const);

/** A task that sends one HTTP request. `url`, header values and `body` may hold templates. */
export interface HttpSpec {
  /** The URL (http or https once rendered). */
  readonly url: string;
  /** The method ({@link DEFAULT_HTTP_METHOD} when not set). */
  readonly method: HttpMethod;
  /** Request headers by name. */
  readonly headers: Readonly<Record<string, string>>;
  /** Request body, or null for none (never with GET or HEAD). */
  readonly body: string | null;
  /** Statuses that count as success ({@link DEFAULT_EXPECT_STATUS} when not set). */
  readonly expectStatus: readonly ExpectedStatus[];
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
  /** ...or TypeScript code (library users)... */
  readonly custom: CustomTask | null;
  /**
   * ...or an HTTP request (`type: http`). Exactly one of command, custom, http, job and
   * kubernetes is set; tasks built without this field are not HTTP tasks.
   */
  readonly http?: HttpSpec | null;
  /**
   * ...or a run of another job, awaited as a child run (`type: job`). Tasks built without this
   * field are not sub-job tasks.
   */
  readonly job?: SubJobSpec | null;
  /**
   * ...or a container run as a Kubernetes `batch/v1` Job (`type: kubernetes`). Tasks built
   * without this field are not Kubernetes tasks.
   */
  readonly kubernetes?: KubernetesSpec | null;
  /**
   * A `KEY=VALUE` file read when the task starts (absolute, or relative to the current folder);
   * its values sit between the job's `environment` and the task's. Null or absent: none.
   */
  readonly envFile?: string | null;
  /**
   * The machine a command task runs on over SSH (`host:` of the task, or of its job), with
   * its connection settings from the config file. Null or absent: this machine.
   */
  readonly host?: SshHost | null;
}

/** When the kubelet pulls a Kubernetes task's image (Kubernetes' `imagePullPolicy`). */
export const IMAGE_PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;

/** The `imagePullPolicy` of a Kubernetes task's container. */
export type ImagePullPolicy = typeof IMAGE_PULL_POLICIES[number];

/** CPU and memory of a container, as Kubernetes quantities (`500m`, `1`, `256Mi`). */
export interface KubernetesQuantities {
  /** CPU: cores (`2`, `0.5`) or millicores (`500m`). */
  readonly cpu?: string;
  /** Memory: bytes with a suffix (`256Mi`, `1Gi`, `500M`). */
  readonly memory?: string;
}

/**
 * A task run as a Kubernetes Job's one container (`type: kubernetes`). `image`, `command`,
 * `args` and `environment` values may hold `{{ … }}` templates.
 */
export interface KubernetesSpec {
  /** The container image, e.g. `busybox:1.36`. */
  readonly image: string;
  /** The container's entrypoint; empty: the image's own. */
  readonly command: readonly string[];
  /** Its arguments; empty: the image's own (when `command` is empty too). */
  readonly args: readonly string[];
  /** Namespace of the Job, or null for the config file's (`[kubernetes] namespace`). */
  readonly namespace: string | null;
  /** Task-level environment (the job's is merged in by the attempt). */
  readonly environment: Readonly<Record<string, string>>;
  /** What the scheduler reserves for the container. */
  readonly requests: KubernetesQuantities;
  /** What the container may use at most. */
  readonly limits: KubernetesQuantities;
  /** Labels a node must have to run the pod (`kubernetes.io/arch: arm64`). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** The pod's service account, or null for the namespace's `default`. */
  readonly serviceAccount: string | null;
  /** When the image is pulled, or null for Kubernetes' default. */
  readonly imagePullPolicy: ImagePullPolicy | null;
}

/**
 * The SSH port of a host that sets none.
 *
 * @default {22}
 */
export const DEFAULT_SSH_PORT = 22;

/** A machine tasks run on over SSH: a `[hosts.NAME]` table of the config file. */
export interface SshHost {
  /** The name tasks give in `host:`. */
  readonly name: string;
  /** Host name or IP address. */
  readonly address: string;
  /** SSH port ({@link DEFAULT_SSH_PORT} when not set). */
  readonly port: number;
  /** Login user, or null for ssh's default (the local user, or `~/.ssh/config`). */
  readonly user: string | null;
  /** Private key file, or null for ssh's defaults. */
  readonly identityFile: string | null;
  /** known_hosts file, or null for the user's own (`~/.ssh/known_hosts`). */
  readonly knownHosts: string | null;
  /** Refuse hosts whose key is not in known_hosts (true unless set to false). */
  readonly strictHostKeyChecking: boolean;
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

/**
 * Names of trigger-time parameters: a letter or `_`, then letters, digits and `_`, so that
 * `{{ params.NAME }}` and `PETIT_PARAM_<NAME>` hold them as written.
 */
export const PARAM_NAME_PATTERN: RegExp = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A parameter a job takes when it is triggered (`params:` of a job file). */
export interface ParamSpec {
  /** The name, matching {@link PARAM_NAME_PATTERN}. */
  readonly name: string;
  /** The value when none is given; null makes the parameter required for manual runs. */
  readonly default: string | null;
  /** Free text. */
  readonly description: string | null;
  /** A regular expression (source text) the whole value must match, or null. */
  readonly pattern: string | null;
}

/** What a sub-job task (`type: job`) runs: another job, with values for its parameters. */
export interface SubJobSpec {
  /** The job run as the child. */
  readonly jobId: string;
  /** Values of the child's parameters; they may hold `{{ … }}` templates. */
  readonly params: Readonly<Record<string, string>>;
}

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
  /** Parameters given when the job is triggered, in file order. Absent: none. */
  readonly params?: readonly ParamSpec[];
  /**
   * A `KEY=VALUE` file read when a run starts (absolute, or relative to the current folder);
   * its values are the bottom of the job's own layers, below `environment`. Null or absent: none.
   */
  readonly envFile?: string | null;
  /** Names of environment variables whose values are masked (`***`) in logs and errors. */
  readonly secrets?: readonly string[];
  /**
   * Notifications sent when a run ends. Absent: the config file's defaults (`[notify]`);
   * given (even empty), they replace the defaults.
   */
  readonly notify?: readonly NotifySpec[];
}
