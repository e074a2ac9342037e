/**
 * Runs every attempt of one task, retrying per its policy (with the retry delay, cut short
 * by cancellation), and publishes the task's `task_completed` / `task_retrying` /
 * `task_failed` / `task_cancelled` events. How an attempt runs is the caller's
 * {@linkcode RunAttempt}; which tasks run when is the DAG runner's. No I/O of its own.
 *
 * @module
 */

import { delay } from "../core/delay.ts";
import type { TaskSpec } from "../core/model.ts";
import type { EventBus } from "../events/bus.ts";
import { type AttemptResult, emptyLogs } from "./attempt/mod.ts";

/** Final state of one task in a run. */
export type TaskOutcomeStatus = "completed" | "failed" | "skipped" | "cancelled";

/** What a task ended with. */
export interface TaskOutcome {
  /** How it ended. */
  readonly status: TaskOutcomeStatus;
  /** Executions made (1 = no retry). */
  readonly attempts: number;
  /** Exit code, or null when none. */
  readonly exitCode: number | null;
  /** Why it failed, or null. */
  readonly error: string | null;
  /** Captured standard output (kept part). */
  readonly stdout: string;
  /** `key=value` outputs. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** What {@linkcode runTaskAttempts} needs from the run. */
export interface TaskAttemptsHost {
  /** Where the task's events go. */
  readonly bus: EventBus;
  /** The job, for event ids. */
  readonly jobId: string;
  /** The run, for event ids. */
  readonly runId: string;
  /** Cancels the run: a pending retry is not made. */
  readonly signal?: AbortSignal;
  /** Runs attempt number `attempt` (1-based) of the task. */
  attempt(attempt: number): Promise<AttemptResult>;
}

/**
 * Lines of stderr carried by `task_failed` as `stderr_tail`.
 *
 * @default {10}
 */
const TAIL_LINES = 10;

/**
 * Characters of stderr carried by `task_failed` as `stderr_tail`, at most.
 *
 * @default {2048}
 */
const TAIL_CHARS = 2048;

/** Runs every attempt of `task`, retrying per its policy, and publishes its events. */
export async function runTaskAttempts(
  task: TaskSpec,
  host: TaskAttemptsHost,
): Promise<TaskOutcome> {
  const { bus } = host;
  const ids = { job_id: host.jobId, run_id: host.runId, task_id: task.id };
  const total = task.retry.maxAttempts + 1;
  const firstStart = performance.now();
  for (let attempt = 1;; attempt++) {
    const result = await host.attempt(attempt).catch((err) => internalFailure(err));
    const durationMs = Math.round(performance.now() - firstStart);
    if (result.ok) {
      bus.publish({
        type: "task_completed",
        at: Date.now(),
        ...ids,
        attempts: attempt,
        duration_ms: durationMs,
        exit_code: result.exitCode,
        logs: result.logs,
      });
      return outcome("completed", attempt, result);
    }
    if (result.cancelled) {
      bus.publish({
        type: "task_cancelled",
        at: Date.now(),
        ...ids,
        attempts: attempt,
        logs: result.logs,
      });
      return outcome("cancelled", attempt, result);
    }
    if (attempt < total && retryable(task, result)) {
      const delayMs = retryDelay(task, attempt);
      bus.publish({
        type: "task_retrying",
        at: Date.now(),
        ...ids,
        attempt,
        max: total,
        delay_ms: delayMs,
        exit_code: result.exitCode,
        error: result.error,
        logs: result.logs,
      });
      const waited = await delay(delayMs, { signal: host.signal }).then(() => true, () => false);
      if (waited) continue;
      // Cancelled while waiting for the retry.
      bus.publish({
        type: "task_cancelled",
        at: Date.now(),
        ...ids,
        attempts: attempt,
        logs: null,
      });
      return outcome("cancelled", attempt, { ...result, error: "cancelled" });
    }
    bus.publish({
      type: "task_failed",
      at: Date.now(),
      ...ids,
      attempts: attempt,
      duration_ms: durationMs,
      exit_code: result.exitCode,
      error: result.error,
      stderr_tail: tail(result.logs.stderr),
      logs: result.logs,
    });
    return outcome("failed", attempt, result);
  }
}

/** Delay before retry number `attempt` (1 = the first retry). */
export function retryDelay(task: TaskSpec, attempt: number): number {
  const { delayMs, backoff, maxDelayMs } = task.retry;
  const delay = backoff === "exponential" ? delayMs * 2 ** (attempt - 1) : delayMs;
  return maxDelayMs === null ? delay : Math.min(delay, maxDelayMs);
}

/** An unexpected error while preparing an attempt fails the task, never the runner. */
function internalFailure(err: unknown): AttemptResult {
  const message = err instanceof Error ? err.message : String(err);
  return {
    ok: false,
    cancelled: false,
    transient: true,
    exitCode: null,
    error: `could not start: ${message}`,
    logs: emptyLogs(Date.now()),
  };
}

function outcome(status: TaskOutcomeStatus, attempts: number, r: AttemptResult): TaskOutcome {
  return {
    status,
    attempts,
    exitCode: r.exitCode,
    error: status === "completed" ? null : r.error,
    stdout: r.logs.stdout,
    outputs: r.logs.outputs,
  };
}

function retryable(task: TaskSpec, r: AttemptResult): boolean {
  switch (task.retry.condition) {
    case "always":
      return true;
    case "transient_only":
      return r.transient;
    case "never":
      return false;
  }
}

/** The last lines of stderr (at most TAIL_LINES lines / TAIL_CHARS) for failure messages. */
function tail(text: string): string {
  const lines = text.trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
  return lines.length > TAIL_CHARS ? lines.slice(-TAIL_CHARS) : lines;
}
