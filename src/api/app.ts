/**
 * The HTTP API as a Hono app, testable without a socket through `app.request()`.
 *
 * @module
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { bearerAuth } from "./auth.ts";
import { type ApiDeps, DEFAULT_MAX_BODY_BYTES } from "./deps.ts";
import { errorResponse, onError, onNotFound } from "./errors.ts";
import { Metrics } from "./metrics.ts";
import { honoPath, openPaths } from "./contract.ts";
import { type OpenApiDocument, openApiDocument } from "./openapi.ts";
import { ROUTES } from "./route_table.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { runRoutes } from "./routes/runs.ts";
import { schedulerRoutes } from "./routes/scheduler.ts";
import { DASHBOARD_HTML } from "../ui/dashboard.ts";

export type { ApiDeps } from "./deps.ts";

/**
 * Builds the API. Without `deps.metrics`, a collector subscribed to the scheduler's bus is
 * created for the app's lifetime.
 */
export function createApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.onError(onError);
  app.notFound(onNotFound);

  // CORS first, so browsers' preflight requests (which carry no token) get their answer.
  if (deps.cors) {
    app.use(
      "*",
      cors({
        origin: deps.cors,
        allowMethods: ["GET", "POST", "OPTIONS"],
        allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID"],
        maxAge: 600,
      }),
    );
  }
  if (deps.token) app.use("*", bearerAuth(deps.token, openPaths(ROUTES)));
  const maxSize = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limit = bodyLimit({
    maxSize,
    onError: (c) =>
      errorResponse(c, "PAYLOAD_TOO_LARGE", `request body is larger than ${maxSize} bytes`),
  });
  app.use("*", async (c, next) => {
    // No length and no chunked encoding means no body. Skipping those requests also keeps
    // bodyLimit from copying the request (and its signal, which makes Deno print a warning).
    const h = c.req.raw.headers;
    if (!h.has("content-length") && !h.has("transfer-encoding")) return await next();
    return await limit(c, next);
  });

  const metrics = deps.metrics ?? new Metrics(deps.scheduler, deps.engine);
  app.route("/", healthRoutes());
  app.route("/", schedulerRoutes(deps));
  app.route("/", jobRoutes(deps));
  app.route("/", runRoutes(deps));
  app.route("/", eventRoutes(deps));
  app.route("/", metricsRoutes(metrics));
  // Generated from the route table on first use (16–42 ms measured), then kept.
  let doc: OpenApiDocument | undefined;
  app.get(honoPath(ROUTES.openapi), (c) => c.json(doc ??= openApiDocument(ROUTES)));
  // The dashboard page holds no data: it calls the API above (with the token, if any).
  app.get(honoPath(ROUTES.dashboard), (c) => c.html(DASHBOARD_HTML));
  return app;
}
