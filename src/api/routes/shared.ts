/**
 * Pieces several route modules use: the storage query of a run listing (its validator is
 * in the route table) and the job view with the scheduler's live state (enabled, next run).
 *
 * @module
 */

import type { z } from "zod";
import type { JobSpec } from "../../core/model.ts";
import { type JobView, jobView } from "../../core/views.ts";
import { DEFAULT_RUN_LIMIT, type RunQuery } from "../../storage/types.ts";
import { type ApiDeps, engineOf } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { runsQuerySchema } from "../route_table.ts";

/** The storage query of a validated run listing. */
export function runQuery(q: z.output<typeof runsQuerySchema>, jobId?: string): RunQuery {
  return {
    job_id: jobId,
    status: q.status,
    before: q.before,
    after: q.cursor,
    limit: q.limit ?? DEFAULT_RUN_LIMIT,
  };
}

/** A job as served: enabled from the scheduler, next run from the engine when there is one. */
export function liveJobView(deps: ApiDeps, job: JobSpec, now = new Date()): JobView {
  const enabled = deps.scheduler.isEnabled(job);
  const engine = engineOf(deps);
  if (!engine) return jobView(job, { now, enabled });
  const anchor = engine.anchor(job.id);
  return jobView(job, {
    now,
    enabled,
    nextRun: engine.nextRun(job.id),
    anchor: anchor === null ? undefined : new Date(anchor),
  });
}

/** A loaded job, or a 404 listing the known ids. */
export function requireJob(deps: ApiDeps, id: string): JobSpec {
  const job = deps.scheduler.job(id);
  if (job) return job;
  const known = deps.scheduler.jobs.map((j) => j.id).sort().join(", ") || "none";
  throw new ApiError("NOT_FOUND", `unknown job id "${id}" (known jobs: ${known})`);
}
