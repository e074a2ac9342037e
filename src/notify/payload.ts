/**
 * What a notification says: the run as JSON (the webhook body, {@link NotificationPayload})
 * and as a short text with a title, a priority and tags (ntfy, and the environment of a
 * command). Built once, when the run ends, from its stored records and the event that ended
 * it. Pure: no I/O. Its shape is the zod schema of `payload_schema.ts`, imported here as a
 * type only, so that sending a notification does not load zod.
 *
 * @module
 */

import type { z } from "zod";
import type { NotifyOn } from "../core/notify.ts";
import type { RunStatus, RunTrigger, TaskStatus } from "../core/statuses.ts";
import type { JobCompletedEvent, JobSkippedEvent } from "../events/types.ts";
import { formatDuration } from "../schedule/duration.ts";
import type { NotificationPayloadSchema } from "./payload_schema.ts";

/** The JSON body of a webhook notification. */
export type NotificationPayload = z.output<typeof NotificationPayloadSchema>;

/** What a payload reads of the stored run: a stored run record fits. */
export interface RunFacts {
  /** What started it. */
  readonly trigger: RunTrigger;
  /** Start, epoch ms. */
  readonly started_at: number;
  /** Why it was skipped, refused or retried. */
  readonly reason: string | null;
}

/** What a payload reads of a stored task of the run: a stored task record fits. */
export interface TaskFacts {
  /** The task. */
  readonly task_id: string;
  /** How it ended. */
  readonly status: TaskStatus;
  /** Exit code, or null. */
  readonly exit_code: number | null;
  /** Executions made. */
  readonly attempts: number;
  /** Why it failed, or null. */
  readonly error: string | null;
}

/** The events that end a run, and so may send notifications. */
export type RunEndEvent = JobCompletedEvent | JobSkippedEvent;

/** The status a run-end event gives its run. */
export function endStatus(event: RunEndEvent): RunStatus {
  return event.type === "job_skipped" ? "skipped" : event.status;
}

/** The `on:` value a finished run's status counts as, or null while it runs. */
export function notifyOutcome(status: RunStatus): NotifyOn | null {
  switch (status) {
    case "completed":
      return "success";
    case "failed":
    case "interrupted":
      return "failure";
    case "cancelled":
      return "cancelled";
    case "skipped":
      return "skipped";
    case "running":
      return null;
  }
}

/**
 * The payload of a run that ended with `event`. The event says how it ended; the stored run
 * (`run`, null when it cannot be read) adds what started it and when, and `tasks` how each
 * task ended.
 */
export function buildPayload(
  event: RunEndEvent,
  jobName: string,
  run: RunFacts | null,
  tasks: readonly TaskFacts[],
): NotificationPayload {
  const status = endStatus(event);
  const completed = event.type === "job_completed" ? event : null;
  return {
    job_id: event.job_id,
    job_name: jobName,
    run_id: event.run_id,
    status,
    outcome: notifyOutcome(status) ?? "failure",
    trigger: run?.trigger ?? null,
    error: completed?.error ?? null,
    reason: event.type === "job_skipped" ? event.reason : (run?.reason ?? null),
    started_at: run?.started_at ?? (completed ? event.at - completed.duration_ms : null),
    ended_at: event.at,
    duration_ms: completed ? completed.duration_ms : 0,
    tasks: tasks.map((t) => ({
      task_id: t.task_id,
      status: t.status,
      exit_code: t.exit_code,
      attempts: t.attempts,
      error: t.error,
    })),
  };
}

/** A notification as text: ntfy's message and headers, and a command's environment. */
export interface NotificationText {
  /** One line: `petit: job backup failed`. */
  readonly title: string;
  /** A few lines: the run, its error or skip reason, the tasks that failed. */
  readonly message: string;
  /** ntfy's priority: `high` for a failure, else `default`. */
  readonly priority: "high" | "default";
  /** ntfy tags (emoji short codes): `x`, `white_check_mark`, `no_entry`, `fast_forward`. */
  readonly tags: string;
}

/** The ntfy tag (an emoji short code) of each outcome. */
const TAGS: Record<NotifyOn, string> = {
  failure: "x",
  success: "white_check_mark",
  cancelled: "no_entry",
  skipped: "fast_forward",
};

/**
 * Failed tasks named in the text; the rest are counted.
 *
 * @default {5}
 */
const TASKS_NAMED = 5;

/** The text of a notification. */
export function notificationText(p: NotificationPayload): NotificationText {
  const lines = [
    `run ${p.run_id ?? "(none)"} ${p.status}` +
    (p.duration_ms ? ` in ${formatDuration(p.duration_ms)}` : "") +
    (p.trigger ? ` (${p.trigger})` : ""),
  ];
  if (p.error !== null && p.status !== "cancelled") lines.push(p.error);
  if (p.reason !== null) lines.push(`reason: ${p.reason}`);
  // One failed task is named by the run's error already.
  const failed = p.tasks.filter((t) => t.status === "failed");
  for (const t of failed.length > 1 ? failed.slice(0, TASKS_NAMED) : []) {
    lines.push(`${t.task_id}: failed` + (t.exit_code !== null ? ` (exit ${t.exit_code})` : ""));
  }
  if (failed.length > TASKS_NAMED) lines.push(`… and ${failed.length - TASKS_NAMED} more`);
  return {
    title: `petit: job ${p.job_id} ${p.status}`,
    message: lines.join("\n"),
    priority: p.outcome === "failure" ? "high" : "default",
    tags: TAGS[p.outcome],
  };
}
