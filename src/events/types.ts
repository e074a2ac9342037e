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
}
/** A run finished (completed, failed, cancelled or interrupted). */
export interface JobCompletedEvent extends RunScoped {
  readonly type: "job_completed";
  readonly success: boolean;
  readonly status: string;
  readonly duration_ms: number;
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
}
/** A task failed an attempt and will be retried. */
export interface TaskRetryingEvent extends TaskScoped {
  readonly type: "task_retrying";
  readonly attempt: number;
  readonly max: number;
  readonly delay_ms: number;
  readonly error: string;
}
/** A task succeeded. */
export interface TaskCompletedEvent extends TaskScoped {
  readonly type: "task_completed";
  readonly attempts: number;
  readonly duration_ms: number;
  readonly exit_code: number | null;
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
}
/** A task was skipped because its condition did not hold. */
export interface TaskSkippedEvent extends TaskScoped {
  readonly type: "task_skipped";
  readonly reason: string;
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
  | SchedulerPausedEvent
  | SchedulerResumedEvent;

/** The `type` names of all events. */
export type PetitEventType = PetitEvent["type"];
