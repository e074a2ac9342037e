/**
 * Job routes: list, detail, runs of a job, trigger, enable and disable.
 *
 * @module
 */

import { Hono } from "hono";
import type { JobDependency, JobSpec } from "../../core/model.ts";
import {
  type JobDependencyView,
  type JobDetailView,
  jobListView,
  runListView,
  runView,
  type StartedRunView,
} from "../../core/views.ts";
import { listRunPage } from "../../storage/run_page.ts";
import { honoPath } from "../contract.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { ROUTES } from "../route_table.ts";
import { blankBodyIsEmptyObject, jsonBody, params, query } from "../validation.ts";
import { liveJobView, requireJob, runQuery } from "./shared.ts";

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
    params: (job.params ?? []).map((p) => ({ ...p })),
  };
}

/** The job routes. */
export function jobRoutes(deps: ApiDeps): Hono {
  const s = deps.scheduler;
  const app = new Hono();

  const R = ROUTES;
  app.get(honoPath(R.listJobs), (c) => {
    const now = new Date();
    return c.json(jobListView(s.jobs.map((j) => liveJobView(deps, j, now))));
  });

  app.get(honoPath(R.getJob), params(R.getJob.params), (c) => {
    return c.json(jobDetailView(deps, requireJob(deps, c.req.valid("param").id)));
  });

  app.get(
    honoPath(R.listJobRuns),
    params(R.listJobRuns.params),
    query(R.listJobRuns.query),
    (c) => {
      const { id } = c.req.valid("param");
      const page = listRunPage(s.storage, runQuery(c.req.valid("query"), id));
      // A job removed from the files keeps its history: 404 only when there is nothing at all.
      if (page.runs.length === 0 && !s.job(id)) requireJob(deps, id);
      return c.json(runListView(page));
    },
  );

  app.post(
    honoPath(R.triggerJob),
    params(R.triggerJob.params),
    blankBodyIsEmptyObject,
    jsonBody(R.triggerJob.body),
    (c) => {
      const { id } = c.req.valid("param");
      if (s.stopping) throw new ApiError("CONFLICT", "the scheduler is shutting down");
      const { force, params } = c.req.valid("json");
      const run = s.trigger(id, { force: force ?? false, trigger: "api", params });
      return c.json<StartedRunView>({
        run_id: run.runId,
        job_id: run.jobId,
        message: `run ${run.runId} of job ${run.jobId} started`,
      });
    },
  );

  for (const [route, enabled] of [[R.enableJob, true], [R.disableJob, false]] as const) {
    app.post(honoPath(route), params(route.params), (c) => {
      const job = requireJob(deps, c.req.valid("param").id);
      s.setEnabled(job.id, enabled);
      return c.json(liveJobView(deps, job));
    });
  }
  return app;
}
