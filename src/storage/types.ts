/**
 * Records Petit keeps and the storage interface both backends implement.
 * Field names are snake_case because these records are also the JSON shapes the CLI
 * (`--json`) and the HTTP API serve. Timestamps are epoch milliseconds.
 *
 * @module
 */

/** Status of a job run. */
export type RunStatus =
  | "running"
  | "completed"
  | "failed"
  | "interrupted"
  | "cancelled"
  | "skipped";

/** Every run status, for validation and help texts. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "running",
  "completed",
  "failed",
  "interrupted",
  "cancelled",
  "skipped",
];

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

/** What started a run. */
export type RunTrigger = "schedule" | "manual" | "api" | "retry";

/** Status of one task within a run. */
export type TaskStatus =
  | "pending"
  | "running"
  | "completed"
  | "failed"
  | "skipped"
  | "cancelled";

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
 * How many runs {@link Storage.listRuns} returns when the query gives no `limit`.
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

/**
 * Thrown by {@link Storage.insertRun} when the job already has a run for that schedule slot
 * (`job_id` + `scheduled_for`): another scheduler (or process) claimed the fire first.
 */
export class SlotTakenError extends Error {
  /** The job whose slot was taken. */
  readonly jobId: string;
  /** The slot (epoch ms). */
  readonly scheduledFor: number;

  /** Builds the error for `jobId` at slot `scheduledFor`. */
  constructor(jobId: string, scheduledFor: number, options?: ErrorOptions) {
    const when = Number.isFinite(scheduledFor)
      ? new Date(scheduledFor).toISOString()
      : String(scheduledFor);
    super(`job ${jobId} already has a run for the slot ${when}`, options);
    this.name = "SlotTakenError";
    this.jobId = jobId;
    this.scheduledFor = scheduledFor;
  }
}

/**
 * Where Petit keeps runs, tasks, attempts, outputs and events.
 *
 * Writes may be buffered and committed in groups; every read sees every earlier write
 * of the same instance. `flush()` commits buffered writes now.
 *
 * Records passed in are copied and records returned are fresh copies: mutating either
 * never changes what is stored. Writes that name a run or task that does not exist
 * (other than `insertRun` and `appendEvent`) throw an Error.
 */
export interface Storage {
  /**
   * Stores a new run. Throws {@link SlotTakenError} if the job already has a run with the
   * same non-null `scheduled_for`, and an Error if the id exists.
   */
  insertRun(run: RunRecord): void;
  /** Changes fields of a run; `undefined` fields are left as they are. */
  updateRun(id: string, patch: Partial<Omit<RunRecord, "id" | "job_id">>): void;
  /** The run, or null if unknown (or pruned). */
  getRun(id: string): RunRecord | null;
  /** Newest first: by `started_at`, then id, both descending. */
  listRuns(query?: RunQuery): RunRecord[];
  /** Runs of a job whose status is `running`. */
  runningRuns(jobId?: string): RunRecord[];

  /** Inserts or replaces a task of a run; a task keeps its place in the run's order. */
  upsertTaskRun(task: TaskRunRecord): void;
  /** Changes fields of a task run; `undefined` fields are left as they are. */
  updateTaskRun(
    runId: string,
    taskId: string,
    patch: Partial<Omit<TaskRunRecord, "run_id" | "task_id">>,
  ): void;
  /** In insertion order. */
  listTaskRuns(runId: string): TaskRunRecord[];

  /** Inserts or replaces one attempt (keyed by run, task and attempt number). */
  upsertAttempt(attempt: AttemptRecord): void;
  /** Attempts of a run (or of one task), oldest first: by `started_at`, task id, attempt. */
  listAttempts(runId: string, taskId?: string): AttemptRecord[];

  /** Replaces the outputs of a task. */
  setOutputs(runId: string, taskId: string, outputs: Record<string, string>): void;
  /** The outputs of a task (empty if none). */
  getOutputs(runId: string, taskId: string): Record<string, string>;

  /** Stores an event and returns its id. */
  appendEvent(event: Omit<StoredEvent, "id">): number;
  /** Events with id > afterId, oldest first; all of them unless `limit` is given. */
  eventsAfter(afterId: number, limit?: number): StoredEvent[];

  /**
   * Deletes runs of `jobId` beyond the newest `keep`, with their tasks, attempts and outputs.
   * Runs still `running` are never deleted (they still count towards `keep`).
   * Returns how many runs were deleted.
   */
  pruneRuns(jobId: string, keep: number): number;

  /** Deletes all but the newest `keep` events; returns how many were deleted. */
  pruneEvents(keep: number): number;

  /** The latest schedule slot recorded for a job (fired or skipped), or null. */
  lastSlot(jobId: string): number | null;
  /** Runs of a job that belong to schedule slots, newest slot first. */
  listSlots(jobId: string, limit: number): RunRecord[];

  /** A persisted enable/disable of a job, or null when the job file decides. */
  jobEnabled(jobId: string): boolean | null;
  /** Persists an enable/disable of a job (survives restarts). */
  setJobEnabled(jobId: string, enabled: boolean): void;

  /** Commits buffered writes. */
  flush(): void;
  /** Flushes and releases the store. */
  close(): void;
}
