/**
 * Lifecycle events of spec §7. Every task event carries job, run and task ids.
 *
 * @module
 */

import type { NotifyChannel } from "../core/notify.ts";
import type { RunStatus } from "../core/statuses.ts";

/** Fields every event has. */
export interface EventBase {
  /** Epoch milliseconds when the event happened. */
  readonly at: number;
}

/** Fields of events about one run. */
export interface RunScoped extends EventBase {
  /** The job. */
  readonly job_id: string;
  /** The run, if any. */
  readonly run_id: string;
}

/** Fields of events about one task of a run. */
export interface TaskScoped extends RunScoped {
  /** The task. */
  readonly task_id: string;
}

/** A run started. */
export interface JobStartedEvent extends RunScoped {
  /** Event type. */
  readonly type: "job_started";
  /** What started the run. */
  readonly trigger: string;
  /** The ids of every task of the run, in file order. */
  readonly task_ids: readonly string[];
  /** Tasks carried over from an earlier run (retry), with their recorded outcome. */
  readonly kept_task_ids: readonly string[];
}
/** A run finished (completed, failed, cancelled or interrupted). */
export interface JobCompletedEvent extends RunScoped {
  /** Event type. */
  readonly type: "job_completed";
  /** Whether the run completed. */
  readonly success: boolean;
  /** Final status. */
  readonly status: "completed" | "failed" | "cancelled" | "interrupted";
  /** Wall time in milliseconds. */
  readonly duration_ms: number;
  /** Why it failed, or null. */
  readonly error: string | null;
}
/** A fire was skipped or refused. */
export interface JobSkippedEvent extends EventBase {
  /** Event type. */
  readonly type: "job_skipped";
  /** The job. */
  readonly job_id: string;
  /** The run, if any. */
  readonly run_id: string | null;
  /** Why. */
  readonly reason: string;
}
/** An attempt of a task started. */
export interface TaskStartedEvent extends TaskScoped {
  /** Event type. */
  readonly type: "task_started";
  /** Attempt number (1-based). */
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
  /** Start, epoch ms. */
  readonly started_at: number;
  /** End, epoch ms. */
  readonly ended_at: number;
  /** Kept standard output. */
  readonly stdout: string;
  /** Kept standard error. */
  readonly stderr: string;
  /** More stdout was produced than kept. */
  readonly stdout_truncated: boolean;
  /** More stderr was produced than kept. */
  readonly stderr_truncated: boolean;
  /** Bytes of stdout produced in total. */
  readonly stdout_bytes: number;
  /** Bytes of stderr produced in total. */
  readonly stderr_bytes: number;
  /** `key=value` outputs written to PETIT_OUTPUT. */
  readonly outputs: Readonly<Record<string, string>>;
}
/** A task failed an attempt and will be retried. */
export interface TaskRetryingEvent extends TaskScoped {
  /** Event type. */
  readonly type: "task_retrying";
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  /** Total executions allowed (retries + 1). */
  readonly max: number;
  /** Wait before the next attempt. */
  readonly delay_ms: number;
  /** Exit code, or null. */
  readonly exit_code: number | null;
  /** Why it failed, or null. */
  readonly error: string;
  /** What the attempt produced (not sent to API clients). */
  readonly logs: AttemptLogs;
}
/** A task succeeded. */
export interface TaskCompletedEvent extends TaskScoped {
  /** Event type. */
  readonly type: "task_completed";
  /** Executions made. */
  readonly attempts: number;
  /** Wall time in milliseconds. */
  readonly duration_ms: number;
  /** Exit code, or null. */
  readonly exit_code: number | null;
  /** What the attempt produced (not sent to API clients). */
  readonly logs: AttemptLogs;
}
/** A task failed for good. */
export interface TaskFailedEvent extends TaskScoped {
  /** Event type. */
  readonly type: "task_failed";
  /** Executions made. */
  readonly attempts: number;
  /** Wall time in milliseconds. */
  readonly duration_ms: number;
  /** Exit code, or null. */
  readonly exit_code: number | null;
  /** Why it failed, or null. */
  readonly error: string;
  /** Last lines of stderr, for humans. */
  readonly stderr_tail: string;
  /** Null when the task never started (cancelled before its first attempt). */
  readonly logs: AttemptLogs | null;
}
/** A task was skipped because its condition did not hold. */
export interface TaskSkippedEvent extends TaskScoped {
  /** Event type. */
  readonly type: "task_skipped";
  /** Why. */
  readonly reason: string;
}
/** A task was stopped (or never started) because its run was cancelled. */
export interface TaskCancelledEvent extends TaskScoped {
  /** Event type. */
  readonly type: "task_cancelled";
  /** Executions made. */
  readonly attempts: number;
  /** What the attempt produced (not sent to API clients). */
  readonly logs: AttemptLogs | null;
}
/** The scheduler stopped firing scheduled runs. */
export interface SchedulerPausedEvent extends EventBase {
  /** Event type. */
  readonly type: "scheduler_paused";
}
/** The scheduler resumed firing. */
export interface SchedulerResumedEvent extends EventBase {
  /** Event type. */
  readonly type: "scheduler_resumed";
}

/** Fields of the events about one notification of a finished run. */
export interface NotificationScoped extends EventBase {
  /** The job. */
  readonly job_id: string;
  /** The run it is about (null for a skipped slot that has no run record). */
  readonly run_id: string | null;
  /** The run's status that sent it (`failed`, `completed`, `cancelled`, `skipped`…). */
  readonly run_status: RunStatus;
  /** How it is delivered. */
  readonly channel: NotifyChannel;
  /**
   * Where it goes, without secrets: a URL without user, password, query values and fragment,
   * path segments that look like tokens as `***`; for a command, its program.
   */
  readonly target: string;
  /** The delivery attempt (1-based). */
  readonly attempt: number;
}
/** A notification was delivered. */
export interface NotificationSentEvent extends NotificationScoped {
  /** Event type. */
  readonly type: "notification_sent";
}
/** A delivery attempt of a notification failed. */
export interface NotificationFailedEvent extends NotificationScoped {
  /** Event type. */
  readonly type: "notification_failed";
  /** Why (secrets of the target masked as `***`). */
  readonly error: string;
  /** Wait before the next attempt, or null when this was the last one (given up). */
  readonly retry_in_ms: number | null;
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
  | SchedulerResumedEvent
  | NotificationSentEvent
  | NotificationFailedEvent;

/** The `type` names of all events. */
export type PetitEventType = PetitEvent["type"];

/** An event without its attempt logs: the form stored and streamed to API clients. */
export function publicEvent(event: PetitEvent): Record<string, unknown> {
  if (!("logs" in event)) return { ...event };
  const { logs: _logs, ...rest } = event;
  return rest;
}
