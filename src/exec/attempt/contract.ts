/**
 * The seam between the DAG runner and the ways a task runs: the runner calls one
 * {@linkcode RunAttempt} per attempt and decides retries, events and dependents from its
 * {@linkcode AttemptResult}. Command tasks are one implementation (`run_command.ts`),
 * TypeScript tasks another (`run_custom.ts`); tests pass a fake so a DAG needs no process.
 * Types only, plus a helper for results without output. No I/O.
 *
 * @module
 */

import type { JobSpec, TaskSpec } from "../../core/model.ts";
import type { TemplateContext } from "../../core/template.ts";
import type { AttemptLogs } from "../../events/types.ts";
import type { KubeClient } from "../kube/types.ts";
import type { CapturedOutput } from "../process/mod.ts";
import type { SecretMask } from "../secrets.ts";
import type { ChildRuns } from "./child_runs.ts";

/** What an attempt reports when it has started (the `task_started` event). */
export interface AttemptStart {
  /** Process group of the attempt, for crash recovery; null when there is none. */
  readonly pgid: number | null;
  /** Start-time token of that process (`startToken`), or null. */
  readonly procStart: string | null;
}

/** Everything one attempt of a task gets from the runner, besides the task itself. */
export interface AttemptContext {
  /** The job the task belongs to. */
  readonly job: JobSpec;
  /** The run. */
  readonly runId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /**
   * Finished upstream tasks, direct and transitive, with the job's config: for templates,
   * `PETIT_OUT_*` variables and a TypeScript task's `inputs`.
   */
  readonly templates: TemplateContext;
  /**
   * `pt`'s environment, the bottom layer of a command's environment. Read on the first
   * call and kept for the run, so runs without command tasks never read it.
   */
  baseEnv(): Readonly<Record<string, string>>;
  /** The run's scratch folder (python scripts go here); removed when the run ends. */
  readonly runDir: string;
  /** Where this attempt writes its `key=value` outputs (`PETIT_OUTPUT`); may not exist. */
  readonly outputFile: string;
  /** The schedule slot of the run (epoch ms), or null for manual runs. */
  readonly scheduledFor: number | null;
  /** Attempt timeout in milliseconds (the task's `timeoutMs`), or null for none. */
  readonly timeoutMs: number | null;
  /**
   * The values of the job's and the task's `env_file`, read by the runner when the run and
   * the task started: they sit below the job's and the task's `environment` respectively.
   * None when absent.
   */
  readonly fileEnv?: {
    readonly job: Readonly<Record<string, string>>;
    readonly task: Readonly<Record<string, string>>;
  };
  /**
   * The secret values of this attempt (the job's `secrets`): output is masked as it is
   * captured. The runner masks errors and logs again, so an attempt without output of its own
   * may ignore it. None when absent.
   */
  readonly mask?: SecretMask | null;
  /**
   * The client of the cluster Kubernetes tasks run on, made on the first call and shared by
   * the process (`exec/kube/cluster.ts`). Absent: the default kubeconfig (`$KUBECONFIG`,
   * `~/.kube/config`, or the pod's service account).
   */
  readonly kubernetes?: () => Promise<KubeClient>;
  /** Starts child runs (sub-job tasks); absent when the runner has no scheduler behind it. */
  readonly childRuns?: ChildRuns;
  /**
   * Cancels the run. When it aborts, the attempt stops its work and resolves with
   * `cancelled: true`; if it is already aborted, nothing should start.
   */
  readonly signal?: AbortSignal;
  /**
   * Bytes kept per output stream (the default is defined in `exec/process/spawn.ts`).
   *
   * @default {DEFAULT_MAX_LOG_BYTES}
   */
  readonly maxLogBytes?: number;
  /**
   * SIGTERM → SIGKILL delay for timeouts and cancellation (the default is defined in
   * `exec/process/spawn.ts`).
   *
   * @default {DEFAULT_KILL_GRACE_MS}
   */
  readonly killGraceMs?: number;
  /** Receives each complete line of output as it arrives. */
  readonly onLine?: (stream: "stdout" | "stderr", line: string) => void;
  /**
   * Receives the attempt's output captures once its work has started, so what it printed so
   * far can be read while it runs (live logs). Called at most once.
   */
  readonly onCapture?: (output: CapturedOutput) => void;
  /**
   * Publishes `task_started`. An attempt calls it once, as soon as its work has started
   * (with the process group, for recovery) or once it knows it never will (with nulls);
   * later calls are ignored.
   */
  started(info: AttemptStart): void;
}

/** How one attempt ended: what the runner needs to retry, publish and release dependents. */
export interface AttemptResult {
  /** The attempt succeeded. */
  readonly ok: boolean;
  /** The attempt was cancelled (the run's signal aborted). */
  readonly cancelled: boolean;
  /** Timeouts and failures to start: what `transient_only` retries. */
  readonly transient: boolean;
  /** Exit code, or null when there is none (signals, start failures, non-process tasks). */
  readonly exitCode: number | null;
  /** Why it failed (e.g. "exit code 3", "timed out after 300 ms"); "" when `ok`. */
  readonly error: string;
  /** Output, outputs and times of the attempt. */
  readonly logs: AttemptLogs;
}

/**
 * Runs one attempt of `task`. Resolves with how it ended; a rejection is an internal error
 * that fails the attempt as a transient "could not start" (and publishes no `task_started`).
 */
export type RunAttempt = (task: TaskSpec, ctx: AttemptContext) => Promise<AttemptResult>;

/** Logs of an attempt that produced nothing, from `startedAt` to `endedAt` (epoch ms). */
export function emptyLogs(startedAt: number, endedAt: number = startedAt): AttemptLogs {
  return {
    started_at: startedAt,
    ended_at: endedAt,
    stdout: "",
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 0,
    stderr_bytes: 0,
    outputs: {},
  };
}
