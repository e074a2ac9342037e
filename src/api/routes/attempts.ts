/**
 * `GET /api/runs/{id}/attempts`: the attempts of a run's tasks without their output (times,
 * exit codes, log sizes; a running attempt has `ended_at` null), for timelines such as the
 * web UI's Gantt chart.
 *
 * Storage reads whole attempt rows, output included, and this route drops the output: a run
 * whose attempts kept megabytes of logs costs that much reading per request.
 *
 * @module
 */

import { Hono } from "hono";
import { type AttemptListView, attemptView } from "../../core/views.ts";
import { honoPath } from "../contract.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { ROUTES } from "../route_table.ts";
import { params } from "../validation.ts";

/** The route. */
export function attemptRoutes(deps: ApiDeps): Hono {
  const storage = deps.scheduler.storage;
  const app = new Hono();
  const R = ROUTES.listRunAttempts;
  app.get(honoPath(R), params(R.params), (c) => {
    const { id } = c.req.valid("param");
    if (!storage.getRun(id)) throw new ApiError("NOT_FOUND", `unknown run id "${id}"`);
    const attempts = storage.listAttempts(id).map(attemptView);
    return c.json<AttemptListView>({ attempts, count: attempts.length });
  });
  return app;
}
