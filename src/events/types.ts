/**
 * Lifecycle events of spec §7. Every task event carries job, run and task ids.
 *
 * @module
 */

interface EventBase {
  /** Epoch milliseconds when the event happened. */
  readonly at: number;
}

interface RunScoped extends EventBase {
  readonly job_id: string;
  readonly run_id: string;
}

interface TaskScoped extends RunScoped {
  readonly task_id: string;
}

/** A run started. */
export interface JobStartedEvent extends RunScoped {
  readonly type: "job_started";
  readonly trigger: string;
  /** The ids of every task of the run, in file order. */
  readonly task_ids: readonly string[];
  /** Tasks carried over from an earlier run (retry), with their recorded outcome. */
  readonly kept_task_ids: readonly string[];
}
/** A run finished (completed, failed, cancelled or interrupted). */
export interface JobCompletedEvent extends RunScoped {
  readonly type: "job_completed";
  readonly success: boolean;
  readonly status: "completed" | "failed" | "cancelled" | "interrupted";
  readonly duration_ms: number;
  readonly error: string | null;
}
/** A fire was skipped or refused. */
export interface JobSkippedEvent extends EventBase {
  readonly type: "job_skipped";
  readonly job_id: string;
  readonly run_id: string | null;
  readonly reason: string;
}
/** An attempt of a task started. */
export interface TaskStartedEvent extends TaskScoped {
  readonly type: "task_started";
  readonly attempt: number;
  /** Process group of the attempt (null when the program could not start). */
  readonly pgid: number | null;
  /** Start-time token of the process, to recognise it after a crash. */
  readonly proc_start: string | null;
}

/**
 * What one finished attempt produced. Carried by the events that end an attempt so that
 * storage can record it; stripped from events sent to API clients.
 */
export interface AttemptLogs {
  readonly started_at: number;
  readonly ended_at: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdout_truncated: boolean;
  readonly stderr_truncated: boolean;
  readonly stdout_bytes: number;
  readonly stderr_bytes: number;
  readonly outputs: Readonly<Record<string, string>>;
}
/** A task failed an attempt and will be retried. */
export interface TaskRetryingEvent extends TaskScoped {
  readonly type: "task_retrying";
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  /** Total executions allowed (retries + 1). */
  readonly max: number;
  readonly delay_ms: number;
  readonly exit_code: number | null;
  readonly error: string;
  readonly logs: AttemptLogs;
}
/** A task succeeded. */
export interface TaskCompletedEvent extends TaskScoped {
  readonly type: "task_completed";
  readonly attempts: number;
  readonly duration_ms: number;
  readonly exit_code: number | null;
  readonly logs: AttemptLogs;
}
/** A task failed for good. */
export interface TaskFailedEvent extends TaskScoped {
  readonly type: "task_failed";
  readonly attempts: number;
  readonly duration_ms: number;
  readonly exit_code: number | null;
  readonly error: string;
  /** Last lines of stderr, for humans. */
  readonly stderr_tail: string;
  /** Null when the task never started (cancelled before its first attempt). */
  readonly logs: AttemptLogs | null;
}
/** A task was skipped because its condition did not hold. */
export interface TaskSkippedEvent extends TaskScoped {
  readonly type: "task_skipped";
  readonly reason: string;
}
/** A task was stopped (or never started) because its run was cancelled. */
export interface TaskCancelledEvent extends TaskScoped {
  readonly type: "task_cancelled";
  readonly attempts: number;
  readonly logs: AttemptLogs | null;
}
/** The scheduler stopped firing scheduled runs. */
export interface SchedulerPausedEvent extends EventBase {
  readonly type: "scheduler_paused";
}
/** The scheduler resumed firing. */
export interface SchedulerResumedEvent extends EventBase {
  readonly type: "scheduler_resumed";
}

/** Any Petit event. */
export type PetitEvent =
  | JobStartedEvent
  | JobCompletedEvent
  | JobSkippedEvent
  | TaskStartedEvent
  | TaskRetryingEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | TaskSkippedEvent
  | TaskCancelledEvent
  | SchedulerPausedEvent
  | SchedulerResumedEvent;

/** The `type` names of all events. */
export type PetitEventType = PetitEvent["type"];

/** An event without its attempt logs: the form stored and streamed to API clients. */
export function publicEvent(event: PetitEvent): Record<string, unknown> {
  if (!("logs" in event)) return { ...event };
  const { logs: _logs, ...rest } = event;
  return rest;
}
