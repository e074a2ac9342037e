/**
 * The stored side of a run's lifecycle, as plain functions the scheduler calls: run ids, the
 * record a run starts with, the tasks a retry keeps, the bookkeeping after it ends (pruning
 * old runs and events, the flush) and the records of scheduled runs that do not execute.
 *
 * @module
 */

import type { JobSpec, TaskInput } from "../core/model.ts";
import type { EventBus } from "../events/bus.ts";
import type { RunResult } from "../exec/runner.ts";
import {
  type RunRecord,
  type RunTrigger,
  SlotTakenError,
  type Storage,
  WritesNotCommittedError,
} from "../storage/types.ts";
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";

/**
 * Runs kept per job when `SchedulerOptions.keepRuns` is absent: after each run, older
 * runs of its job are deleted with their tasks, attempts and logs.
 *
 * @default {1000}
 */
export const DEFAULT_KEEP_RUNS = 1000;

/**
 * Stored events kept for SSE replay; older ones are deleted every {@link EVENTS_PRUNE_EVERY}
 * finished runs.
 *
 * @default {50_000}
 */
const EVENTS_KEPT = 50_000;

/**
 * Finished runs between two trims of the stored events: they are for live streams and short
 * replays, not worth a delete after every run.
 *
 * @default {200}
 */
const EVENTS_PRUNE_EVERY = 200;

/** Where the run lifecycle records, publishes and logs, and its time. */
export interface RunBooks {
  /** The store. */
  readonly storage: Pick<
    Storage,
    "insertRun" | "updateRun" | "pruneRuns" | "pruneEvents" | "flush"
  >;
  /** Where `job_skipped` is published. */
  readonly bus: Pick<EventBus, "publish">;
  /** Where failures to record are logged. */
  readonly log: Pick<Logger, "error" | "debug">;
  /** The time of skipped slots. */
  readonly clock: Pick<Clock, "now">;
}

/** Makes a sortable, short, unique run id: time in base 36 plus randomness. */
export function newRunId(now = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(4));
  return now.toString(36).padStart(9, "0") + "-" +
    [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** How a run starts: what `Scheduler.startRun` records before it executes. */
export interface RunStart {
  trigger: RunTrigger;
  scheduledFor?: number | null;
  retryOf?: string | null;
  reason?: string | null;
  runId?: string;
  /** The run's parameters, resolved (defaults filled in). */
  params?: Readonly<Record<string, string>>;
  /** For a child run: the run of the sub-job task that started it. */
  parentRunId?: string | null;
}

/** The `running` record a run of `job` starts with at `now`, held by `owner`. */
export function runningRecord(job: JobSpec, init: RunStart, now: number, owner: string): RunRecord {
  return {
    id: init.runId ?? newRunId(now),
    job_id: job.id,
    status: "running",
    trigger: init.trigger,
    reason: init.reason ?? null,
    scheduled_for: init.scheduledFor ?? null,
    started_at: now,
    ended_at: null,
    duration_ms: null,
    error: null,
    retry_of: init.retryOf ?? null,
    owner,
    params: { ...init.params },
    parent_run_id: init.parentRunId ?? null,
  };
}

/**
 * Records a scheduled slot that did not run, with its reason, as a `skipped` run that
 * claims the slot. Returns its id, or null when another scheduler already claimed it.
 */
export function recordSkip(
  books: RunBooks,
  job: JobSpec,
  slot: number,
  reason: string,
): string | null {
  const now = books.clock.now();
  const id = newRunId(now);
  try {
    books.storage.insertRun({
      id,
      job_id: job.id,
      status: "skipped",
      trigger: "schedule",
      reason,
      scheduled_for: slot,
      started_at: now,
      ended_at: now,
      duration_ms: 0,
      error: null,
      retry_of: null,
    });
  } catch (err) {
    if (err instanceof SlotTakenError) return null;
    throw err;
  }
  books.bus.publish({ type: "job_skipped", at: now, job_id: job.id, run_id: id, reason });
  return id;
}

/** The completed tasks of a finished run, as the inputs its retry keeps (output, outputs). */
export function completedTasks(
  storage: Pick<Storage, "listTaskRuns" | "listAttempts" | "getOutputs">,
  runId: string,
): Map<string, TaskInput> {
  const kept = new Map<string, TaskInput>();
  for (const t of storage.listTaskRuns(runId)) {
    if (t.status !== "completed") continue;
    const attempts = storage.listAttempts(runId, t.task_id);
    kept.set(t.task_id, {
      status: "completed",
      stdout: attempts.at(-1)?.stdout ?? "",
      exitCode: t.exit_code,
      outputs: storage.getOutputs(runId, t.task_id),
    });
  }
  return kept;
}

/**
 * After a run ends: prunes its job's older runs down to `keepRuns`, trims the stored events
 * every {@link EVENTS_PRUNE_EVERY} finished runs (`finishedRuns` counts this one) and flushes.
 * Never throws: a failure is logged, except a full disk, which was logged when it began.
 */
export function afterRun(
  { storage, log }: RunBooks,
  run: { jobId: string; runId: string; keepRuns: number; finishedRuns: number },
): void {
  try {
    storage.pruneRuns(run.jobId, run.keepRuns);
    // Events are for live streams and short replays: trim them now and then, not per run.
    if (run.finishedRuns % EVENTS_PRUNE_EVERY === 0) storage.pruneEvents(EVENTS_KEPT);
    storage.flush();
  } catch (err) {
    // A full disk was logged when it began; the run's writes are kept and retried.
    if (!(err instanceof WritesNotCommittedError)) {
      log.error(`could not record the run: ${errorText(err)}`, {
        job_id: run.jobId,
        run_id: run.runId,
      });
    }
  }
}

/**
 * A scheduled run that must not execute. With a `reason` its claim is not durable: the run
 * is recorded `skipped` (a write kept behind the claim, so both reach the disk together)
 * and `job_skipped` is published (one log line). Without, a replay dropped the claim
 * because another scheduler holds the slot: nothing of ours is left to record.
 */
export function notRun(
  books: RunBooks,
  job: JobSpec,
  runId: string,
  reason: string | null,
): RunResult {
  const { storage, bus, log } = books;
  const now = books.clock.now();
  if (reason === null) {
    log.debug("slot already claimed by another scheduler; not run", {
      job_id: job.id,
      run_id: runId,
    });
  } else {
    try {
      storage.updateRun(runId, { status: "skipped", reason, ended_at: now, duration_ms: 0 });
    } catch (err) {
      log.error(`could not record the skipped slot: ${errorText(err)}`, {
        job_id: job.id,
        run_id: runId,
      });
    }
    bus.publish({ type: "job_skipped", at: now, job_id: job.id, run_id: runId, reason });
  }
  return {
    runId,
    status: "skipped",
    durationMs: 0,
    error: reason,
    tasks: new Map(),
    leftoverGroups: 0,
  };
}

/** Why a claim gate failed, with the innermost cause (SQLite's own message). */
export function claimFailure(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause !== undefined) e = e.cause;
  return `not run, its slot claim could not be committed (${errorText(e)})`;
}

/** An error's message, or the thrown value as text. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
