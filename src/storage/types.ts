/**
 * Records Petit keeps and the storage interfaces both backends implement: one small
 * interface per kind of record ({@link RunStore}, {@link TaskStore}, …), and
 * {@link Storage}, all of them at once. The errors they throw live in `./errors.ts` and
 * are re-exported here.
 *
 * Field names are snake_case because these records are also the JSON shapes the CLI
 * (`--json`) and the HTTP API serve. Timestamps are epoch milliseconds.
 *
 * @module
 */

import {
  RunExistsError,
  RunNotFoundError,
  SlotTakenError,
  WritesNotCommittedError,
} from "./errors.ts";

import type { RunStatus, RunTrigger, TaskStatus } from "../core/statuses.ts";

// The enums are defined once, in core; re-exported here for the modules that already
// import them with the records.
export {
  RUN_STATUSES,
  type RunStatus,
  type RunTrigger,
  type TaskStatus,
} from "../core/statuses.ts";

/** The fields `Storage.updateRun` may change. */
export const RUN_PATCH_KEYS: ReadonlySet<string> = new Set([
  "status",
  "trigger",
  "reason",
  "scheduled_for",
  "started_at",
  "ended_at",
  "duration_ms",
  "error",
  "retry_of",
  "owner",
]);

/** The fields `Storage.updateTaskRun` may change. */
export const TASK_PATCH_KEYS: ReadonlySet<string> = new Set([
  "status",
  "attempts",
  "started_at",
  "ended_at",
  "duration_ms",
  "exit_code",
  "error",
  "pgid",
  "proc_start",
]);

/** One run of a job. */
export interface RunRecord {
  /** Run id (sortable by start time). */
  id: string;
  /** The job. */
  job_id: string;
  /** How it ended. */
  status: RunStatus;
  /** What started it. */
  trigger: RunTrigger;
  /** Why the run was skipped, refused or retried; null otherwise. */
  reason: string | null;
  /** The schedule slot this run belongs to, or null for manual runs. */
  scheduled_for: number | null;
  /** Start, epoch ms. */
  started_at: number;
  /** End, epoch ms, or null while running. */
  ended_at: number | null;
  /** Wall time in ms, or null while running. */
  duration_ms: number | null;
  /** Why it failed, or null. */
  error: string | null;
  /** For `retry` runs: the run whose failed tasks are re-run. */
  retry_of: string | null;
  /**
   * The process executing the run (`pid:start token`), so recovery can tell a crashed
   * run from one another live scheduler is executing. Not served by the API.
   */
  owner?: string | null;
  /** The parameters the run was triggered with (scheduled runs: the defaults); absent: none. */
  params?: Record<string, string>;
  /** For runs started by a sub-job task (trigger `parent`): the run of that task. */
  parent_run_id?: string | null;
}

/** One task of one run. */
export interface TaskRunRecord {
  /** The run. */
  run_id: string;
  /** The task. */
  task_id: string;
  /** How it ended. */
  status: TaskStatus;
  /** Executions so far (1 = ran once, no retry). */
  attempts: number;
  /** Start, epoch ms. */
  started_at: number | null;
  /** End, epoch ms, or null while running. */
  ended_at: number | null;
  /** Wall time in ms, or null while running. */
  duration_ms: number | null;
  /** Exit code, or null. */
  exit_code: number | null;
  /** Why it failed, or null. */
  error: string | null;
  /** Process group of the running attempt (for crash recovery), or null. */
  pgid: number | null;
  /** Start-time token of that process (guards against pid reuse), or null. */
  proc_start: string | null;
}

/** One execution of a task, with its captured output. */
export interface AttemptRecord {
  /** The run. */
  run_id: string;
  /** The task. */
  task_id: string;
  /** 1-based. */
  attempt: number;
  /** Start, epoch ms. */
  started_at: number;
  /** End, epoch ms, or null while running. */
  ended_at: number | null;
  /** Exit code, or null. */
  exit_code: number | null;
  /** Why it failed, or null. */
  error: string | null;
  /** Captured standard output (kept part). */
  stdout: string;
  /** Captured standard error (kept part). */
  stderr: string;
  /** More stdout was produced than kept. */
  stdout_truncated: boolean;
  /** More stderr was produced than kept. */
  stderr_truncated: boolean;
  /** Bytes the stream produced in total, kept or not. */
  stdout_bytes: number;
  /** Bytes of stderr produced in total. */
  stderr_bytes: number;
}

/** An event as stored (for replay to API clients). */
export interface StoredEvent {
  /** Monotonic id, usable as SSE `Last-Event-ID`. */
  id: number;
  /** Event type, e.g. `task_started`. */
  type: string;
  /** When, epoch ms. */
  at: number;
  /** Job of the event, if any. */
  job_id: string | null;
  /** Run of the event, if any. */
  run_id: string | null;
  /** Task of the event, if any. */
  task_id: string | null;
  /** The whole event as JSON-compatible data. */
  data: Record<string, unknown>;
}

/**
 * How many runs {@link RunStore.listRuns} returns when the query gives no `limit`.
 * @default 50
 */
export const DEFAULT_RUN_LIMIT = 50;

/** Filter for listing runs. */
export interface RunQuery {
  /** Only runs of this job. */
  job_id?: string;
  /** Only runs with this status. */
  status?: RunStatus;
  /**
   * Only runs that started strictly before this instant. Paging with it skips the runs of
   * the page boundary's instant that did not fit on the page; page with `after` instead.
   */
  before?: number;
  /**
   * Only runs listed after this one: started earlier, or at the same instant with a smaller
   * id. Pass the last run of a page to get the next page (keyset paging): each run comes
   * exactly once, even when many share a `started_at`.
   */
  after?: Pick<RunRecord, "started_at" | "id">;
  /** Most runs to return (default {@link DEFAULT_RUN_LIMIT}). */
  limit?: number;
}

export { RunExistsError, RunNotFoundError, SlotTakenError, WritesNotCommittedError };

/** A run's partial update: `undefined` fields are left as they are. */
export type RunPatch = Partial<Omit<RunRecord, "id" | "job_id">>;

/** A task run's partial update: `undefined` fields are left as they are. */
export type TaskRunPatch = Partial<Omit<TaskRunRecord, "run_id" | "task_id">>;

/** Runs of jobs: the records everything else hangs off. */
export interface RunStore {
  /**
   * Stores a new run. Throws {@link SlotTakenError} if the job already has a run with the
   * same non-null `scheduled_for`, and {@link RunExistsError} if the id exists.
   */
  insertRun(run: RunRecord): void;
  /** Changes fields of a run; throws {@link RunNotFoundError} for an unknown id. */
  updateRun(id: string, patch: RunPatch): void;
  /** The run, or null if unknown (or pruned). */
  getRun(id: string): RunRecord | null;
  /** Newest first: by `started_at`, then id, both descending. */
  listRuns(query?: RunQuery): RunRecord[];
  /** Runs of a job whose status is `running`. */
  runningRuns(jobId?: string): RunRecord[];
  /**
   * Deletes runs of `jobId` beyond the newest `keep`, with their tasks, attempts and outputs.
   * Runs still `running` are never deleted (they still count towards `keep`).
   * Returns how many runs were deleted.
   */
  pruneRuns(jobId: string, keep: number): number;
}

/** The tasks of each run, in the run's order. */
export interface TaskStore {
  /** Inserts or replaces a task of a run; a task keeps its place in the run's order. */
  upsertTaskRun(task: TaskRunRecord): void;
  /** Changes fields of a task run; throws if the run or the task is unknown. */
  updateTaskRun(runId: string, taskId: string, patch: TaskRunPatch): void;
  /** In insertion order. */
  listTaskRuns(runId: string): TaskRunRecord[];
}

/** Executions of tasks, with their captured logs. */
export interface AttemptStore {
  /** Inserts or replaces one attempt (keyed by run, task and attempt number). */
  upsertAttempt(attempt: AttemptRecord): void;
  /** Attempts of a run (or of one task), oldest first: by `started_at`, task id, attempt. */
  listAttempts(runId: string, taskId?: string): AttemptRecord[];
}

/** The `key=value` outputs tasks hand to later tasks. */
export interface OutputStore {
  /** Replaces the outputs of a task. */
  setOutputs(runId: string, taskId: string, outputs: Record<string, string>): void;
  /** The outputs of a task (empty if none). */
  getOutputs(runId: string, taskId: string): Record<string, string>;
}

/** The event log, replayed to API clients (SSE). */
export interface EventStore {
  /**
   * Stores an event and returns its id; 0 while writes are kept out by a full disk (the
   * event is stored later, or dropped past the memory budget: it only serves replays).
   */
  appendEvent(event: Omit<StoredEvent, "id">): number;
  /** Events with id > afterId, oldest first; all of them unless `limit` is given. */
  eventsAfter(afterId: number, limit?: number): StoredEvent[];
  /** Deletes all but the newest `keep` events; returns how many were deleted. */
  pruneEvents(keep: number): number;
}

/** Which schedule slots a job's runs took (fired or skipped). */
export interface SlotStore {
  /** The latest schedule slot recorded for a job (fired or skipped), or null. */
  lastSlot(jobId: string): number | null;
  /** Runs of a job that belong to schedule slots, newest slot first. */
  listSlots(jobId: string, limit: number): RunRecord[];
}

/** State of a job kept across restarts (enable/disable through the API). */
export interface JobStateStore {
  /** A persisted enable/disable of a job, or null when the job file decides. */
  jobEnabled(jobId: string): boolean | null;
  /** Persists an enable/disable of a job (survives restarts). */
  setJobEnabled(jobId: string, enabled: boolean): void;
}

/**
 * A change in whether the store's writes reach the disk, told to
 * {@link StoreLifecycle.watchWrites} listeners once per change (never once per write).
 *
 * - `failing`: a write or commit failed (disk full, I/O error); `pending` writes are kept in
 *   memory and retried, reads show what was last committed.
 * - `shedding`: while failing, the kept writes passed their memory budget: event-log rows and
 *   task output logs are dropped from now on (runs, tasks and outputs are still kept).
 * - `recovered`: the kept writes were committed; `dropped` of them no longer applied (a slot
 *   another scheduler took meanwhile), the first one's error is `droppedError`.
 * - `lost`: the store was closed while failing; `pending` writes are gone.
 */
export type WriteHealth =
  | { readonly state: "failing"; readonly error: Error; readonly pending: number }
  | { readonly state: "shedding"; readonly pendingBytes: number }
  | {
    readonly state: "recovered";
    readonly committed: number;
    readonly dropped: number;
    readonly droppedError: Error | null;
    readonly shed: number;
    readonly failedMs: number;
  }
  | { readonly state: "lost"; readonly error: Error; readonly pending: number };

/** Committing buffered writes and releasing the store. */
export interface StoreLifecycle {
  /**
   * Commits buffered writes. Throws {@link WritesNotCommittedError} when they cannot be
   * committed now (they stay buffered and are retried).
   */
  flush(): void;
  /**
   * Flushes and releases the store. Writes that still cannot be committed are lost (told to
   * `watchWrites` listeners as `lost`); call `flush()` first to learn about it as an error.
   */
  close(): void;
  /**
   * Tells `listener` when writes start failing and when they recover (at once, if they are
   * failing now); returns the unsubscribe function. Absent where writes cannot fail
   * (memory).
   */
  watchWrites?(listener: (health: WriteHealth) => void): () => void;
}

/**
 * Where Petit keeps runs, tasks, attempts, outputs, events, slots and job state: every
 * small store at once. A consumer that needs less asks for less (`RunStore & TaskStore`).
 *
 * Writes may be buffered and committed in groups; every read sees every earlier write
 * of the same instance. `flush()` commits buffered writes now.
 *
 * Records passed in are copied and records returned are fresh copies: mutating either
 * never changes what is stored. Writes that name a run that does not exist (other than
 * `insertRun` and `appendEvent`) throw {@link RunNotFoundError}; an unknown task of a
 * known run is a plain Error.
 */
export interface Storage
  extends
    RunStore,
    TaskStore,
    AttemptStore,
    OutputStore,
    EventStore,
    SlotStore,
    JobStateStore,
    StoreLifecycle {}
