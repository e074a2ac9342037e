/**
 * `GET /api/scheduler/state`, `POST /api/scheduler/pause` and `POST /api/scheduler/resume`.
 *
 * @module
 */

import { Hono } from "hono";
import type { Scheduler } from "../../scheduler/scheduler.ts";
import type { ApiDeps } from "../deps.ts";

/** The scheduler's state as served. */
export interface SchedulerStateView {
  state: "running" | "paused" | "stopping";
  is_running: boolean;
  is_paused: boolean;
}

/** Builds the state view of a scheduler. */
export function schedulerStateView(s: Scheduler): SchedulerStateView {
  const state = s.stopping ? "stopping" : s.paused ? "paused" : "running";
  return { state, is_running: state === "running", is_paused: state === "paused" };
}

/** The scheduler routes. */
export function schedulerRoutes(deps: ApiDeps): Hono {
  const s = deps.scheduler;
  const app = new Hono();
  app.get("/api/scheduler/state", (c) => c.json(schedulerStateView(s)));
  app.post("/api/scheduler/pause", (c) => {
    s.pause();
    return c.json(schedulerStateView(s));
  });
  app.post("/api/scheduler/resume", (c) => {
    s.resume();
    return c.json(schedulerStateView(s));
  });
  return app;
}
