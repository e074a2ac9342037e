/**
 * The JSON shapes Petit serves. The CLI's `--json` output and the HTTP API both build
 * their bodies with these functions, so the two can never drift apart.
 *
 * @module
 */

import type {
  AttemptRecord,
  RunRecord,
  RunStatus,
  RunTrigger,
  TaskRunRecord,
  TaskStatus,
} from "../storage/types.ts";
import type { JobSpec } from "./model.ts";

/** A job as listed by `pt list --json` and `GET /api/jobs`. */
export interface JobView {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  /** Whether the scheduler fires it: it has a schedule and is enabled. */
  scheduled: boolean;
  task_count: number;
  /** The schedule expression as written, or null. */
  schedule: string | null;
  timezone: string | null;
  /** Next fire time in epoch ms, or null when not scheduled. */
  next_run: number | null;
}

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
export function jobListView(jobs: JobView[]): { jobs: JobView[]; count: number } {
  return { jobs, count: jobs.length };
}

/** A run as served by `pt runs --json`, `pt show --json` and the API. */
export interface RunView {
  id: string;
  job_id: string;
  status: RunStatus;
  trigger: RunTrigger;
  started_at: number;
  ended_at: number | null;
  duration_ms: number | null;
  error: string | null;
  /** Why the run was skipped or retried. */
  reason: string | null;
  scheduled_for: number | null;
  retry_of: string | null;
}

/** Builds the served view of a run. */
export function runView(run: RunRecord): RunView {
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
  };
}

/** A page of runs as served by `pt runs --json` and the API's run listings. */
export interface RunListView {
  runs: RunView[];
  count: number;
  /** Opaque; pass it back as `cursor` (`--cursor`) for the next page. Null on the last. */
  next_cursor: string | null;
}

/** `{runs, count, next_cursor}` list envelope of a page of runs (a `RunPage` of storage). */
export function runListView(
  page: { runs: RunRecord[]; next_cursor: string | null },
): RunListView {
  return { runs: page.runs.map(runView), count: page.runs.length, next_cursor: page.next_cursor };
}

/** A task of a run as served by `pt show --json` and `GET /api/runs/{id}/tasks`. */
export interface TaskRunView {
  task_id: string;
  run_id: string;
  status: TaskStatus;
  attempts: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  exit_code: number | null;
  error: string | null;
}

/** Builds the served view of a task run. */
export function taskRunView(task: TaskRunRecord): TaskRunView {
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
export function taskListView(tasks: TaskRunRecord[]): { tasks: TaskRunView[]; count: number } {
  return { tasks: tasks.map(taskRunView), count: tasks.length };
}

/** A run with its tasks (`pt show --json`). */
export function runDetailView(run: RunRecord, tasks: TaskRunRecord[]): RunView & {
  tasks: TaskRunView[];
} {
  return { ...runView(run), tasks: tasks.map(taskRunView) };
}

/** One attempt's logs (`pt logs --json`, `GET /api/runs/{id}/tasks/{task}/logs`): the record. */
export type AttemptLogView = AttemptRecord;

/** Builds the served view of an attempt's logs. */
export function attemptLogView(a: AttemptRecord): AttemptLogView {
  return { ...a };
}
