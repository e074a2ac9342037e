/**
 * `GET /api/health`: liveness, never behind the token.
 *
 * @module
 */

import { Hono } from "hono";
import type { HealthView } from "../../core/views.ts";
import { VERSION } from "../../version.ts";
import { honoPath } from "../contract.ts";
import { ROUTES } from "../route_table.ts";

/** The health route. */
export function healthRoutes(): Hono {
  const app = new Hono();
  app.get(honoPath(ROUTES.health), (c) => c.json<HealthView>({ status: "ok", version: VERSION }));
  return app;
}
