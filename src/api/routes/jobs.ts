/**
 * Job routes: list, detail, runs of a job, trigger, enable and disable.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import type { JobDependency, JobSpec, TaskCondition } from "../../core/model.ts";
import { jobListView, type JobView, runListView, type RunView, runView } from "../../core/views.ts";
import { listRunPage } from "../../storage/run_page.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { blankBodyIsEmptyObject, jsonBody, query } from "../validation.ts";
import { liveJobView, requireJob, runQuery, runsQuerySchema } from "./shared.ts";

/** A task of a job as served by `GET /api/jobs/{id}`. */
export interface JobTaskView {
  id: string;
  name: string;
  depends_on: string[];
  condition: TaskCondition;
}

/** A job dependency as served by `GET /api/jobs/{id}`. */
export interface JobDependencyView {
  job_id: string;
  condition: "last_success" | "last_complete" | "within_window";
  /** For `within_window`: the window in ms; null otherwise. */
  window_ms: number | null;
}

/** `GET /api/jobs/{id}`: the listed view plus the last run, tasks and job dependencies. */
export interface JobDetailView extends JobView {
  last_run: RunView | null;
  tasks: JobTaskView[];
  depends_on: JobDependencyView[];
}

/** `POST /api/jobs/{id}/trigger` and `POST /api/runs/{id}/retry` answer. */
export interface StartedRunView {
  run_id: string;
  job_id: string;
  message: string;
}

function dependencyView(d: JobDependency): JobDependencyView {
  return {
    job_id: d.jobId,
    condition: d.condition.kind,
    window_ms: d.condition.kind === "within_window" ? d.condition.windowMs : null,
  };
}

function jobDetailView(deps: ApiDeps, job: JobSpec): JobDetailView {
  const last = deps.scheduler.storage.listRuns({ job_id: job.id, limit: 1 })[0];
  return {
    ...liveJobView(deps, job),
    last_run: last ? runView(last) : null,
    tasks: job.tasks.map((t) => ({
      id: t.id,
      name: t.name,
      depends_on: [...t.dependsOn],
      condition: t.condition,
    })),
    depends_on: job.dependsOn.map(dependencyView),
  };
}

const triggerBody = z.strictObject({ force: z.boolean().optional() });

/** The job routes. */
export function jobRoutes(deps: ApiDeps): Hono {
  const s = deps.scheduler;
  const app = new Hono();

  app.get("/api/jobs", (c) => {
    const now = new Date();
    return c.json(jobListView(s.jobs.map((j) => liveJobView(deps, j, now))));
  });

  app.get("/api/jobs/:id", (c) => c.json(jobDetailView(deps, requireJob(deps, c.req.param("id")))));

  app.get("/api/jobs/:id/runs", query(runsQuerySchema), (c) => {
    const id = c.req.param("id");
    const page = listRunPage(s.storage, runQuery(c.req.valid("query"), id));
    // A job removed from the files keeps its history: 404 only when there is nothing at all.
    if (page.runs.length === 0 && !s.job(id)) requireJob(deps, id);
    return c.json(runListView(page));
  });

  app.post("/api/jobs/:id/trigger", blankBodyIsEmptyObject, jsonBody(triggerBody), (c) => {
    const id = c.req.param("id");
    if (s.stopping) throw new ApiError("CONFLICT", "the scheduler is shutting down");
    const { force } = c.req.valid("json");
    const run = s.trigger(id, { force: force ?? false, trigger: "api" });
    return c.json<StartedRunView>({
      run_id: run.runId,
      job_id: run.jobId,
      message: `run ${run.runId} of job ${run.jobId} started`,
    });
  });

  for (const [action, enabled] of [["enable", true], ["disable", false]] as const) {
    app.post(`/api/jobs/:id/${action}`, (c) => {
      const job = requireJob(deps, c.req.param("id"));
      s.setEnabled(job.id, enabled);
      return c.json(liveJobView(deps, job));
    });
  }
  return app;
}
