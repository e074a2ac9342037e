/**
 * `GET /api/jobs/{id}/next`: the next fire times of a job, as `pt next --json` prints them.
 * Read-only; the web UI's job page lists them.
 *
 * @module
 */

import { Hono } from "hono";
import type { NextFiresView } from "../../core/views.ts";
import { nextFireTimes } from "../../schedule/schedule.ts";
import { honoPath } from "../contract.ts";
import { type ApiDeps, engineOf } from "../deps.ts";
import { DEFAULT_NEXT_FIRES, ROUTES } from "../route_table.ts";
import { params, query } from "../validation.ts";
import { requireJob } from "./shared.ts";

/** The route. */
export function jobNextRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  const R = ROUTES.jobNext;
  app.get(honoPath(R), params(R.params), query(R.query), (c) => {
    const job = requireJob(deps, c.req.valid("param").id);
    const count = c.req.valid("query").count ?? DEFAULT_NEXT_FIRES;
    // `@every` counts from the engine's anchor, so the times match the ones it will fire at.
    const anchor = engineOf(deps)?.anchor(job.id) ?? null;
    const times = job.schedule
      ? nextFireTimes(
        job.schedule,
        new Date(),
        count,
        anchor === null ? undefined : new Date(anchor),
      )
      : [];
    return c.json<NextFiresView>({ job_id: job.id, next: times.map((t) => t.getTime()) });
  });
  return app;
}
