/**
 * `GET /api/health`: liveness, never behind the token.
 *
 * @module
 */

import { Hono } from "hono";
import { VERSION } from "../../version.ts";

/** `{status: "ok", version}`. */
export interface HealthView {
  status: "ok";
  version: string;
}

/** The health route. */
export function healthRoutes(): Hono {
  const app = new Hono();
  app.get("/api/health", (c) => c.json<HealthView>({ status: "ok", version: VERSION }));
  return app;
}
