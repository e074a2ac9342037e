/**
 * The JSON views Petit serves, and the functions that build them. The CLI's `--json` output
 * and the HTTP API both build their bodies with these functions, so the two can never drift
 * apart. Each view's shape is a zod schema in `view_schemas.ts`; the types here are those
 * schemas' outputs.
 *
 * The builders take structural inputs (the stored records fit them), so core needs nothing
 * from storage.
 *
 * @module
 */

import type { z } from "zod";
import type { JobSpec } from "./model.ts";
import type {
  AttemptListViewSchema,
  AttemptLogViewSchema,
  AttemptViewSchema,
  CancelViewSchema,
  ErrorBodySchema,
  ErrorCodeSchema,
  HealthViewSchema,
  JobDependencyViewSchema,
  JobDetailViewSchema,
  JobListViewSchema,
  JobTaskViewSchema,
  JobViewSchema,
  LogEndEventSchema,
  LogLineEventSchema,
  NextFiresViewSchema,
  RetryViewSchema,
  RunDetailViewSchema,
  RunListViewSchema,
  RunViewSchema,
  SchedulerStateViewSchema,
  StartedRunViewSchema,
  TaskListViewSchema,
  TaskLogsViewSchema,
  TaskRunViewSchema,
} from "./view_schemas.ts";

/** A job as listed by `pt list --json` and `GET /api/jobs`. */
export type JobView = z.output<typeof JobViewSchema>;
/** `{jobs, count}` list envelope. */
export type JobListView = z.output<typeof JobListViewSchema>;
/** A task of a job as served by `GET /api/jobs/{id}`. */
export type JobTaskView = z.output<typeof JobTaskViewSchema>;
/** A job dependency as served by `GET /api/jobs/{id}`. */
export type JobDependencyView = z.output<typeof JobDependencyViewSchema>;
/** `GET /api/jobs/{id}`: the listed view plus the last run, tasks and job dependencies. */
export type JobDetailView = z.output<typeof JobDetailViewSchema>;
/** A run as served by `pt runs --json`, `pt show --json` and the API. */
export type RunView = z.output<typeof RunViewSchema>;
/** A page of runs as served by `pt runs --json` and the API's run listings. */
export type RunListView = z.output<typeof RunListViewSchema>;
/** A task of a run as served by `pt show --json` and `GET /api/runs/{id}/tasks`. */
export type TaskRunView = z.output<typeof TaskRunViewSchema>;
/** `{tasks, count}` list envelope. */
export type TaskListView = z.output<typeof TaskListViewSchema>;
/** A run with its tasks (`pt show --json`, `GET /api/runs/{id}`). */
export type RunDetailView = z.output<typeof RunDetailViewSchema>;
/** One attempt's logs (`pt logs --json`): the stored attempt. */
export type AttemptLogView = z.output<typeof AttemptLogViewSchema>;
/** `GET /api/runs/{id}/tasks/{task}/logs` as JSON: one attempt and how many there are. */
export type TaskLogsView = z.output<typeof TaskLogsViewSchema>;
/** `event: line` of a followed task log. */
export type LogLineEvent = z.output<typeof LogLineEventSchema>;
/** `event: end` of a followed task log. */
export type LogEndEvent = z.output<typeof LogEndEventSchema>;
/** `POST /api/jobs/{id}/trigger` answer. */
export type StartedRunView = z.output<typeof StartedRunViewSchema>;
/** `POST /api/runs/{id}/retry` answer. */
export type RetryView = z.output<typeof RetryViewSchema>;
/** `POST /api/runs/{id}/cancel` answer. */
export type CancelView = z.output<typeof CancelViewSchema>;
/** `GET /api/health` answer. */
export type HealthView = z.output<typeof HealthViewSchema>;
/** The scheduler's state as served. */
export type SchedulerStateView = z.output<typeof SchedulerStateViewSchema>;
/** Machine-readable API error codes. */
export type ErrorCode = z.output<typeof ErrorCodeSchema>;
/** The body of every API error. */
export type ErrorBody = z.output<typeof ErrorBodySchema>;

/**
 * What {@link runView} reads of a run: a stored run record fits (its `params` and
 * `parent_run_id` may be absent: none).
 */
export type RunInput =
  & Omit<RunView, "params" | "parent_run_id">
  & { readonly params?: RunView["params"]; readonly parent_run_id?: string | null };
/** What {@link taskRunView} reads of a task of a run: a stored task record fits. */
export type TaskRunInput = TaskRunView;

/** Builds the listed view of a job. `enabled` may be overridden at run time. */
export function jobView(
  job: JobSpec,
  options: { now: Date; enabled?: boolean; anchor?: Date; nextRun?: number | null },
): JobView {
  const enabled = options.enabled ?? job.enabled;
  const scheduled = enabled && job.schedule !== null;
  const nextRun = options.nextRun !== undefined
    ? options.nextRun
    : scheduled
    ? job.schedule!.next(options.now, options.anchor)?.getTime() ?? null
    : null;
  return {
    id: job.id,
    name: job.name,
    description: job.description,
    enabled,
    scheduled,
    task_count: job.tasks.length,
    schedule: job.schedule?.expression ?? null,
    timezone: job.schedule?.timezone ?? null,
    next_run: scheduled ? nextRun : null,
  };
}

/** `{jobs, count}` list envelope. */
export function jobListView(jobs: JobView[]): JobListView {
  return { jobs, count: jobs.length };
}

/** Builds the served view of a run. */
export function runView(run: RunInput): RunView {
  return {
    id: run.id,
    job_id: run.job_id,
    status: run.status,
    trigger: run.trigger,
    started_at: run.started_at,
    ended_at: run.ended_at,
    duration_ms: run.duration_ms,
    error: run.error,
    reason: run.reason,
    scheduled_for: run.scheduled_for,
    retry_of: run.retry_of,
    params: { ...run.params },
    parent_run_id: run.parent_run_id ?? null,
  };
}

/** `{runs, count, next_cursor}` list envelope of a page of runs (a `RunPage` of storage). */
export function runListView(
  page: { runs: readonly RunInput[]; next_cursor: string | null },
): RunListView {
  return { runs: page.runs.map(runView), count: page.runs.length, next_cursor: page.next_cursor };
}

/** Builds the served view of a task run. */
export function taskRunView(task: TaskRunInput): TaskRunView {
  return {
    task_id: task.task_id,
    run_id: task.run_id,
    status: task.status,
    attempts: task.attempts,
    started_at: task.started_at,
    ended_at: task.ended_at,
    duration_ms: task.duration_ms,
    exit_code: task.exit_code,
    error: task.error,
  };
}

/** `{tasks, count}` list envelope. */
export function taskListView(tasks: readonly TaskRunInput[]): TaskListView {
  return { tasks: tasks.map(taskRunView), count: tasks.length };
}

/** A run with its tasks (`pt show --json`). */
export function runDetailView(run: RunInput, tasks: readonly TaskRunInput[]): RunDetailView {
  return { ...runView(run), tasks: tasks.map(taskRunView) };
}

/** Builds the served view of an attempt's logs. */
export function attemptLogView(a: AttemptLogView): AttemptLogView {
  return {
    run_id: a.run_id,
    task_id: a.task_id,
    attempt: a.attempt,
    started_at: a.started_at,
    ended_at: a.ended_at,
    exit_code: a.exit_code,
    error: a.error,
    stdout: a.stdout,
    stderr: a.stderr,
    stdout_truncated: a.stdout_truncated,
    stderr_truncated: a.stderr_truncated,
    stdout_bytes: a.stdout_bytes,
    stderr_bytes: a.stderr_bytes,
  };
}

/** The next fire times of a job (`GET /api/jobs/{id}/next`). */
export type NextFiresView = z.output<typeof NextFiresViewSchema>;
/** One attempt without its output. */
export type AttemptView = z.output<typeof AttemptViewSchema>;
/** `{attempts, count}`: the attempts of a run. */
export type AttemptListView = z.output<typeof AttemptListViewSchema>;

/** Builds the served view of an attempt without its output (a stored attempt fits). */
export function attemptView(a: AttemptLogView): AttemptView {
  const { stdout: _stdout, stderr: _stderr, ...rest } = attemptLogView(a);
  return rest;
}

/** What {@link droppedBytes} reads: an attempt's kept text and byte counts. */
export type CapturedText = Pick<
  AttemptLogView,
  "stdout" | "stderr" | "stdout_truncated" | "stderr_truncated" | "stdout_bytes" | "stderr_bytes"
>;

/** Bytes of output produced past what was kept, stdout and stderr together. */
export function droppedBytes(logs: CapturedText): number {
  let dropped = 0;
  for (const stream of ["stdout", "stderr"] as const) {
    // Only a truncated stream pays for encoding its (up to 1 MiB of) text.
    if (logs[`${stream}_truncated`]) {
      dropped += logs[`${stream}_bytes`] - new TextEncoder().encode(logs[stream]).length;
    }
  }
  return Math.max(0, dropped);
}

/**
 * The `end` event of a stored attempt. An attempt that never ended (Petit stopped while it
 * ran) is failed with its task's error (`interrupted`).
 */
export function storedAttemptEnd(
  a: AttemptLogView,
  task: { error: string | null },
): LogEndEvent {
  const status = a.ended_at === null || (a.error !== null && a.error !== "cancelled")
    ? "failed"
    : a.error === "cancelled"
    ? "cancelled"
    : "completed";
  return {
    attempt: a.attempt,
    status,
    exit_code: a.exit_code,
    error: a.ended_at === null ? a.error ?? task.error ?? "interrupted" : a.error,
    dropped_bytes: droppedBytes(a),
  };
}
