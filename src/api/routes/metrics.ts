/**
 * `GET /metrics`: Prometheus text format.
 *
 * @module
 */

import { Hono } from "hono";
import { honoPath } from "../contract.ts";
import { type Metrics, METRICS_CONTENT_TYPE } from "../metrics.ts";
import { ROUTES } from "../route_table.ts";

/** The metrics route. */
export function metricsRoutes(metrics: Metrics): Hono {
  const app = new Hono();
  app.get(
    honoPath(ROUTES.metrics),
    (c) => c.body(metrics.render(), 200, { "Content-Type": METRICS_CONTENT_TYPE }),
  );
  return app;
}
