/**
 * Scripted attempts of the test harness: how one attempt of a task ends ({@link AttemptScript}:
 * success with output, a failure with an exit code, a timeout) and what a task does attempt by
 * attempt in every run ({@link TaskScript}), the options of the harness's `failTask()`,
 * `succeedTask()` and `timeoutTask()`, and the result an attempt reports; the waiting on the
 * harness's clock is `attempts.ts`. No I/O.
 *
 * @module
 */

import type { TaskSpec } from "../core/model.ts";
import { type AttemptResult, emptyLogs } from "../exec/attempt/contract.ts";

/** An attempt that succeeds. */
export interface SucceedScript {
  /** How the attempt ends. */
  readonly outcome: "success";
  /** Captured standard output. */
  readonly stdout?: string;
  /** Captured standard error. */
  readonly stderr?: string;
  /** `key=value` outputs for downstream tasks (values are stored as strings). */
  readonly outputs?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Simulated run time on the harness's clock; longer than the task's timeout, the attempt
   * times out instead.
   *
   * @default {0}
   */
  readonly durationMs?: number;
}

/** An attempt that fails. */
export interface FailScript {
  /** How the attempt ends. */
  readonly outcome: "failure";
  /**
   * Exit code; null for a failure without one (a TypeScript task that throws).
   *
   * @default {1}
   */
  readonly exitCode?: number | null;
  /** Why it failed; `exit code N` (or `failed` without an exit code) when absent. */
  readonly error?: string;
  /** Captured standard output. */
  readonly stdout?: string;
  /** Captured standard error (a failed task's `stderr_tail`). */
  readonly stderr?: string;
  /**
   * Retried under `retry.condition: transient_only`, as timeouts and start failures are.
   *
   * @default {false}
   */
  readonly transient?: boolean;
  /**
   * Simulated run time on the harness's clock; longer than the task's timeout, the attempt
   * times out instead.
   *
   * @default {0}
   */
  readonly durationMs?: number;
}

/** An attempt that runs into the task's timeout (which it takes on the harness's clock). */
export interface TimeoutScript {
  /** How the attempt ends. */
  readonly outcome: "timeout";
}

/** How one scripted attempt ends. */
export type AttemptScript = SucceedScript | FailScript | TimeoutScript;

/** What a scripted task does, attempt by attempt, in every run of its job. */
export interface TaskScript {
  /** Attempts 1, 2, … of each run. */
  readonly attempts?: readonly AttemptScript[];
  /**
   * Every later attempt. Absent: the harness's default (success, or the real task when the
   * harness runs tasks for real).
   */
  readonly then?: AttemptScript;
}

/** Options of `TestHarness.failTask`. */
export interface FailTaskOptions extends Omit<FailScript, "outcome"> {
  /** Fail only the first `attempts` attempts of each run (default: every attempt). */
  readonly attempts?: number;
}

/** Options of `TestHarness.succeedTask`. */
export interface SucceedTaskOptions extends Omit<SucceedScript, "outcome"> {
  /** Script only the first `attempts` attempts of each run (default: every attempt). */
  readonly attempts?: number;
}

/** Options of `TestHarness.timeoutTask`. */
export interface TimeoutTaskOptions {
  /** Time out only the first `attempts` attempts of each run (default: every attempt). */
  readonly attempts?: number;
}

/**
 * `script` for the first `attempts` attempts of each run, or for every attempt when
 * `attempts` is undefined (later attempts then run as unscripted tasks do).
 */
export function forAttempts(script: AttemptScript, attempts: number | undefined): TaskScript {
  if (attempts === undefined) return { then: script };
  if (!(Number.isInteger(attempts) && attempts >= 0)) {
    throw new RangeError(`attempts must be a whole number ≥ 0, got ${attempts}`);
  }
  return { attempts: Array.from({ length: attempts }, () => script) };
}

/** A success with no output: what an unscripted task does unless tasks run for real. */
export const SUCCEED: SucceedScript = Object.freeze({ outcome: "success" });

/** The script of attempt `attempt` (1-based), or null when the default applies. */
export function scriptOf(script: TaskScript | undefined, attempt: number): AttemptScript | null {
  if (!script) return null;
  return script.attempts?.[attempt - 1] ?? script.then ?? null;
}

/** Whether the attempt runs into the task's timeout (a timeout script, or too long a one). */
export function timesOut(script: AttemptScript, timeoutMs: number | null): boolean {
  if (script.outcome === "timeout") return true;
  return timeoutMs !== null && (script.durationMs ?? 0) > timeoutMs;
}

/** Simulated time an attempt takes before it ends: its timeout when it runs into it. */
export function scriptedDuration(script: AttemptScript, timeoutMs: number | null): number {
  if (timesOut(script, timeoutMs)) return timeoutMs ?? 0;
  return script.outcome === "timeout" ? 0 : Math.max(0, script.durationMs ?? 0);
}

/** How a scripted attempt of `task` ends at `at`, after `durationMs` of simulated time. */
export function scriptedResult(
  script: AttemptScript,
  task: TaskSpec,
  durationMs: number,
  at: number,
): AttemptResult {
  if (script.outcome === "timeout" || timesOut(script, task.timeoutMs)) {
    return {
      ok: false,
      cancelled: false,
      transient: true,
      exitCode: null,
      error: `timed out after ${task.timeoutMs} ms`,
      logs: emptyLogs(at - durationMs, at),
    };
  }
  const stdout = script.stdout ?? "";
  const stderr = script.stderr ?? "";
  const outputs = script.outcome === "success"
    ? Object.fromEntries(Object.entries(script.outputs ?? {}).map(([k, v]) => [k, String(v)]))
    : {};
  const logs = {
    ...emptyLogs(at - durationMs, at),
    stdout,
    stderr,
    stdout_bytes: new TextEncoder().encode(stdout).length,
    stderr_bytes: new TextEncoder().encode(stderr).length,
    outputs,
  };
  if (script.outcome === "success") {
    const exitCode = task.custom ? null : 0;
    return { ok: true, cancelled: false, transient: false, exitCode, error: "", logs };
  }
  const exitCode = script.exitCode === undefined ? 1 : script.exitCode;
  return {
    ok: false,
    cancelled: false,
    transient: script.transient ?? false,
    exitCode,
    error: script.error ?? (exitCode === null ? "failed" : `exit code ${exitCode}`),
    logs,
  };
}

/** An attempt cancelled at `at` (the run's signal aborted while it waited). */
export function cancelledResult(at: number): AttemptResult {
  return {
    ok: false,
    cancelled: true,
    transient: false,
    exitCode: null,
    error: "cancelled",
    logs: emptyLogs(at),
  };
}
