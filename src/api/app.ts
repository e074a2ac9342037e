/**
 * The HTTP API as a Hono app, testable without a socket through `app.request()`.
 *
 * @module
 */

import { Hono } from "hono";
import { cors } from "hono/cors";
import { bearerAuth } from "./auth.ts";
import { readBody } from "./body.ts";
import { type ApiDeps, DEFAULT_MAX_BODY_BYTES } from "./deps.ts";
import { onError, onNotFound } from "./errors.ts";
import { requestGuard } from "./guard.ts";
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
import { attemptRoutes } from "./routes/attempts.ts";
import { jobNextRoutes } from "./routes/job_next.ts";
import { uiPage, uiResponse } from "../ui/serve.ts";

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
  // Then what a web page must not make a browser send (foreign Host, Origin or body type),
  // token or not: after CORS, so a refusal of the CORS origin still carries its headers.
  const allowedHosts = deps.allowedHosts === undefined ? [] : deps.allowedHosts;
  app.use("*", requestGuard({ allowedHosts, cors: deps.cors ?? null }));
  // The web UI's other pages (`/jobs/{id}`, `/runs/{id}`) and its files under `/ui/`, before
  // the token: they hold no data (the page asks for the token and sends it to the API). Not
  // API operations, so not in the route table; `/` is, below.
  app.use("*", async (c, next) => uiResponse(c.req.raw) ?? await next());
  if (deps.token) app.use("*", bearerAuth(deps.token, openPaths(ROUTES)));
  // Bodies last: size-checked and read whole only for requests allowed this far.
  app.use("*", readBody(deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));

  const metrics = deps.metrics ?? new Metrics(deps.scheduler, deps.engine);
  app.route("/", healthRoutes());
  app.route("/", schedulerRoutes(deps));
  app.route("/", jobRoutes(deps));
  app.route("/", runRoutes(deps));
  app.route("/", jobNextRoutes(deps));
  app.route("/", attemptRoutes(deps));
  app.route("/", eventRoutes(deps));
  app.route("/", metricsRoutes(metrics));
  // Generated from the route table on first use (16–42 ms measured), then kept.
  let doc: OpenApiDocument | undefined;
  app.get(honoPath(ROUTES.openapi), (c) => c.json(doc ??= openApiDocument(ROUTES)));
  // The web UI's page holds no data: it calls the API above (with the token, if any).
  app.get(honoPath(ROUTES.dashboard), (c) => uiPage(c.req.raw));
  return app;
}
