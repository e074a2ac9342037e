/**
 * The test harness's settings and their defaults: where its clock starts, the initial context
 * (config values, environment), how unscripted tasks run, and its bounds on waiting. No I/O.
 *
 * @module
 */

import type { ConfigValue } from "../core/model.ts";
import type { Storage } from "../storage/types.ts";

/**
 * Where the harness's clock starts unless told otherwise (epoch ms of 2026-01-01T00:00:00Z):
 * a fixed instant, so schedules fire at the same times in every test run.
 *
 * @default {1767225600000}
 */
export const DEFAULT_START = 1_767_225_600_000;

/**
 * Real time the harness waits for real work (real tasks, run start-up) before it gives up.
 *
 * @default {10000}
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

/**
 * Simulated time `runUntilIdle()` lets pass at most.
 *
 * @default {86400000}
 */
export const DEFAULT_UNTIL_IDLE_MS = 24 * 3_600_000;

/** Settings of a `TestHarness`. */
export interface TestHarnessOptions {
  /**
   * Wall time the clock starts at.
   *
   * @default {DEFAULT_START}
   */
  readonly start?: Date | number;
  /** Config values by job id, over each job's own `config` (`ctx.config`, `{{ config.KEY }}`). */
  readonly config?: Readonly<Record<string, Readonly<Record<string, ConfigValue>>>>;
  /** `pt`'s environment, the bottom layer of command tasks' (default: this process's). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * How unscripted tasks run: `scripted` succeeds at once with no output; `real` runs them
   * (TypeScript code, processes) in real time. Scripted tasks follow their script either way.
   *
   * @default {"scripted"}
   */
  readonly execute?: "scripted" | "real";
  /** Where runs are recorded (closed by `close()` only when the harness made it). */
  readonly storage?: Storage;
  /**
   * Concurrent tasks per run (the default is defined in `exec/runner.ts`).
   *
   * @default {DEFAULT_MAX_TASKS}
   */
  readonly maxTasks?: number;
  /** Concurrent runs across all jobs (default unlimited). */
  readonly maxJobs?: number | null;
  /**
   * Whether schedules fire from the start; false: only `trigger()` runs jobs until `start()`.
   *
   * @default {true}
   */
  readonly schedule?: boolean;
  /**
   * Real ms to wait for real work before failing.
   *
   * @default {DEFAULT_IDLE_TIMEOUT_MS}
   */
  readonly idleTimeoutMs?: number;
}
