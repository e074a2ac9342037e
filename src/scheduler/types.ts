/**
 * The scheduler's public shapes: its options, what a trigger returns and takes, and the
 * error a refused trigger, retry or cancel throws. Re-exported by `scheduler.ts`.
 *
 * @module
 */

import type { RunAttempt } from "../exec/attempt/contract.ts";
import type { KubeClient } from "../exec/kube/types.ts";
import type { RunResult } from "../exec/runner.ts";
import type { RunTrigger, Storage } from "../storage/types.ts";
import type { EventBus } from "../events/bus.ts";
import type { NotifySettings } from "../notify/mod.ts";
import type { Clock } from "./clock.ts";
import type { EngineNotice } from "./engine.ts";
import type { Logger } from "./log.ts";

/** Settings of a scheduler. */
export interface SchedulerOptions {
  /** Where runs are recorded. */
  readonly storage: Storage;
  /** Shared bus; a new one is created when absent. */
  readonly bus?: EventBus;
  /**
   * Concurrent tasks per run (the default is defined in `exec/runner.ts`).
   *
   * @default {DEFAULT_MAX_TASKS}
   */
  readonly maxTasks?: number;
  /** Concurrent runs across all jobs (default unlimited). */
  readonly maxJobs?: number | null;
  /** `pt`'s environment for tasks (default: this process's environment). */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /**
   * Bytes kept per stream per attempt (the default is defined in `exec/process/spawn.ts`).
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
  /**
   * Runs kept per job; older ones are deleted after each run (the default is defined in
   * `scheduler.ts`).
   *
   * @default {DEFAULT_KEEP_RUNS}
   */
  readonly keepRuns?: number;
  /**
   * The client of the cluster Kubernetes tasks run on, made on first use (`pt` passes one
   * from the config file's `[kubernetes]`). Absent: the default kubeconfig (`$KUBECONFIG`,
   * `~/.kube/config`, or the pod's service account). Internal to Petit, not part of the
   * library's exports.
   *
   * @ignore
   */
  readonly kubernetes?: () => Promise<KubeClient>;
  /** What the firing engine does (fires, skips, catch-up, clock jumps), for logging. */
  readonly onNotice?: (notice: EngineNotice) => void;
  /**
   * Where the scheduler logs what it does not publish as events: the database refusing
   * writes (once when it starts, once when it ends), process groups a run left behind.
   *
   * @default {new Logger()} (text lines on stderr)
   */
  readonly log?: Logger;
  /**
   * Notifications: the defaults of jobs without `notify`, and how long shutdown waits for
   * deliveries under way.
   */
  readonly notify?: NotifySettings;
  /** Live task output lines. */
  readonly onLine?: (
    runId: string,
    taskId: string,
    stream: "stdout" | "stderr",
    line: string,
  ) => void;
  /**
   * Time of the firing engine's timers and of the run records' start times, skips and
   * pauses; tests pass one they drive (`ManualClock`). Shutdown's grace period stays real.
   *
   * @default {SYSTEM_CLOCK}
   */
  readonly clock?: Clock;
  /**
   * Runs one attempt of a task (by task type when absent). The test harness passes a
   * scripted one; internal to Petit, not part of the library's exports.
   *
   * @ignore
   */
  readonly runAttempt?: RunAttempt;
}

/** Why a trigger was refused. */
export type RefusalCode =
  | "not_found"
  | "dependency"
  | "limit"
  | "not_finished"
  | "stopping"
  | "bad_params";

/** A manual trigger, retry or cancel that cannot be done. */
export class TriggerRefusedError extends Error {
  /**
   * `not_found` (404), `dependency` (409), `limit` (429), `not_finished` and `stopping` (409),
   * `bad_params` (400: a param the job does not take, a required one missing, or a value that
   * does not match its pattern; the message names the param).
   */
  readonly code: RefusalCode;
  /** Builds the error; `cause` is the error behind it, if any (a `ParamError`). */
  constructor(code: RefusalCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TriggerRefusedError";
    this.code = code;
  }
}

/** A run that was started. */
export interface StartedRun {
  /** The run. */
  readonly runId: string;
  /** The job. */
  readonly jobId: string;
  /** Settles when the run has finished and been recorded. */
  readonly done: Promise<RunResult>;
}

/** Options of a manual trigger. */
export interface TriggerOptions {
  /** Run even when a job dependency is not satisfied (never overrides a limit). */
  readonly force?: boolean;
  /** `manual` (CLI, library) or `api`. */
  readonly trigger?: Extract<RunTrigger, "manual" | "api">;
  /**
   * Values of the job's params; the others get their defaults. A name the job does not take,
   * a required param without a value or a value that does not match its pattern refuses the
   * trigger (`bad_params`).
   */
  readonly params?: Readonly<Record<string, string>>;
}
