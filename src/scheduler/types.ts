/**
 * The scheduler's public shapes: its options, what a trigger returns and takes, and the
 * error a refused trigger, retry or cancel throws. Re-exported by `scheduler.ts`.
 *
 * @module
 */

import type { RunResult } from "../exec/runner.ts";
import type { RunTrigger, Storage } from "../storage/types.ts";
import type { EventBus } from "../events/bus.ts";
import type { EngineNotice } from "./engine.ts";

/** Settings of a scheduler. */
export interface SchedulerOptions {
  /** Where runs are recorded. */
  readonly storage: Storage;
  /** Shared bus; a new one is created when absent. */
  readonly bus?: EventBus;
  /** Concurrent tasks per run (default 4). */
  readonly maxTasks?: number;
  /** Concurrent runs across all jobs (default unlimited). */
  readonly maxJobs?: number | null;
  /** `pt`'s environment for tasks (default: this process's environment). */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** Bytes kept per stream per attempt (default 1 MiB). */
  readonly maxLogBytes?: number;
  /** SIGTERM → SIGKILL delay for timeouts and cancellation (default 5 s). */
  readonly killGraceMs?: number;
  /** Runs kept per job; older ones are deleted after each run (default 1000). */
  readonly keepRuns?: number;
  /** What the firing engine does (fires, skips, catch-up, clock jumps), for logging. */
  readonly onNotice?: (notice: EngineNotice) => void;
  /** Live task output lines. */
  readonly onLine?: (
    runId: string,
    taskId: string,
    stream: "stdout" | "stderr",
    line: string,
  ) => void;
}

/** Why a trigger was refused. */
export type RefusalCode = "not_found" | "dependency" | "limit" | "not_finished" | "stopping";

/** A manual trigger, retry or cancel that cannot be done. */
export class TriggerRefusedError extends Error {
  /** `not_found` (404), `dependency` (409), `limit` (429), `not_finished` and `stopping` (409). */
  readonly code: RefusalCode;
  /** Builds the error. */
  constructor(code: RefusalCode, message: string) {
    super(message);
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
}
