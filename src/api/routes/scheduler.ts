/**
 * `GET /api/scheduler/state`, `POST /api/scheduler/pause` and `POST /api/scheduler/resume`.
 *
 * @module
 */

import { Hono } from "hono";
import type { SchedulerStateView } from "../../core/views.ts";
import type { Scheduler } from "../../scheduler/scheduler.ts";
import { honoPath } from "../contract.ts";
import type { ApiDeps } from "../deps.ts";
import { ROUTES } from "../route_table.ts";

/** Builds the state view of a scheduler. */
export function schedulerStateView(s: Scheduler): SchedulerStateView {
  const state = s.stopping ? "stopping" : s.paused ? "paused" : "running";
  return { state, is_running: state === "running", is_paused: state === "paused" };
}

/** The scheduler routes. */
export function schedulerRoutes(deps: ApiDeps): Hono {
  const s = deps.scheduler;
  const app = new Hono();
  app.get(honoPath(ROUTES.schedulerState), (c) => c.json(schedulerStateView(s)));
  app.post(honoPath(ROUTES.pause), (c) => {
    s.pause();
    return c.json(schedulerStateView(s));
  });
  app.post(honoPath(ROUTES.resume), (c) => {
    s.resume();
    return c.json(schedulerStateView(s));
  });
  return app;
}
