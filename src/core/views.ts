/**
 * The JSON shapes Petit serves. The CLI's `--json` output and the HTTP API both build
 * their bodies with these functions, so the two can never drift apart.
 *
 * @module
 */

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
