/**
 * Every route of the API, declared once (see `contract.ts` for what a route declares). The
 * route modules register these paths with these validators, `auth.ts` leaves the open ones
 * open, `openapi.ts` generates the document from this table, and the API tests check every
 * answer against it.
 *
 * @module
 */

import { z } from "zod";
import { RunStatusSchema } from "../core/statuses.ts";
import * as views from "../core/view_schemas.ts";
import { DEFAULT_RUN_LIMIT } from "../storage/types.ts";
import { defineRoutes } from "./contract.ts";
import { METRICS_CONTENT_TYPE } from "./metrics.ts";
import { OpenApiDocumentSchema } from "./openapi.ts";
import { cursorParam, intParam } from "./validation.ts";

/**
 * Most runs one page of a run listing holds (`limit`).
 * @default 1000
 */
export const MAX_RUN_PAGE = 1000;

/** Most attempts a task can be asked for by number (`attempt` of the logs). */
const MAX_ATTEMPT = 1_000_000;

const idOf = (what: string) =>
  z.strictObject({ id: z.string().meta({ description: `${what} id` }) });

/** `limit`, `status`, `before` and `cursor` of a run listing. */
export const runsQuerySchema = z.strictObject({
  limit: intParam(1, MAX_RUN_PAGE).optional().meta({
    description: "most runs to return",
    default: DEFAULT_RUN_LIMIT,
  }),
  status: RunStatusSchema.optional().meta({ description: "only runs with this status" }),
  before: intParam(0, Number.MAX_SAFE_INTEGER).optional().meta({
    description: "only runs started strictly before this instant (epoch ms). Paging with " +
      "`before=<started_at of the last run>` can skip runs that share that instant: use `cursor`",
  }),
  cursor: cursorParam().optional().meta({
    description: "the `next_cursor` of the previous page, unchanged (with the same filters): " +
      "lists the runs after that page, each run exactly once",
  }),
});

const BAD_RUN_LIST = "invalid parameter, such as a cursor that is not a next_cursor";
const LIMIT = "max_concurrency or --max-jobs reached";
const text = (description: string) => z.string().meta({ description });

/** The routes, by operation id. */
export const ROUTES = defineRoutes({
  health: {
    method: "get",
    path: "/api/health",
    summary: "Liveness and version (never needs a token)",
    tag: "system",
    auth: false,
    ok: { description: "alive", content: { "application/json": views.HealthViewSchema } },
  },
  openapi: {
    method: "get",
    path: "/api/openapi.json",
    summary: "This document",
    tag: "system",
    auth: true,
    ok: {
      description: "OpenAPI 3.1 document",
      content: { "application/json": OpenApiDocumentSchema },
    },
  },
  schedulerState: {
    method: "get",
    path: "/api/scheduler/state",
    summary: "Scheduler state",
    tag: "scheduler",
    auth: true,
    ok: { description: "state", content: { "application/json": views.SchedulerStateViewSchema } },
  },
  pause: {
    method: "post",
    path: "/api/scheduler/pause",
    summary: "Stop scheduled fires (manual triggers still work)",
    tag: "scheduler",
    auth: true,
    ok: {
      description: "new state",
      content: { "application/json": views.SchedulerStateViewSchema },
    },
  },
  resume: {
    method: "post",
    path: "/api/scheduler/resume",
    summary: "Resume scheduled fires from now on",
    tag: "scheduler",
    auth: true,
    ok: {
      description: "new state",
      content: { "application/json": views.SchedulerStateViewSchema },
    },
  },
  listJobs: {
    method: "get",
    path: "/api/jobs",
    summary: "Loaded jobs",
    tag: "jobs",
    auth: true,
    ok: {
      description: "jobs in load order",
      content: { "application/json": views.JobListViewSchema },
    },
  },
  getJob: {
    method: "get",
    path: "/api/jobs/{id}",
    summary: "A job with its last run, tasks and job dependencies",
    tag: "jobs",
    auth: true,
    params: idOf("job"),
    ok: { description: "the job", content: { "application/json": views.JobDetailViewSchema } },
    errors: { 404: "unknown job" },
  },
  listJobRuns: {
    method: "get",
    path: "/api/jobs/{id}/runs",
    summary: "Runs of a job, newest first",
    tag: "jobs",
    auth: true,
    params: idOf("job"),
    query: runsQuerySchema,
    ok: { description: "runs", content: { "application/json": views.RunListViewSchema } },
    errors: { 400: BAD_RUN_LIST, 404: "unknown job with no recorded runs" },
  },
  triggerJob: {
    method: "post",
    path: "/api/jobs/{id}/trigger",
    summary: "Start a run now (trigger `api`)",
    tag: "jobs",
    auth: true,
    params: idOf("job"),
    body: z.strictObject({
      force: z.boolean().optional().meta({
        default: false,
        description: "run even if a job dependency is not satisfied",
      }),
    }),
    ok: {
      description: "run started",
      content: { "application/json": views.StartedRunViewSchema },
    },
    errors: {
      400: "invalid body",
      404: "unknown job",
      409: "a job dependency is not satisfied, or the scheduler is stopping",
      429: LIMIT,
    },
  },
  enableJob: {
    method: "post",
    path: "/api/jobs/{id}/enable",
    summary: "Enable a job (persisted)",
    tag: "jobs",
    auth: true,
    params: idOf("job"),
    ok: { description: "the job", content: { "application/json": views.JobViewSchema } },
    errors: { 404: "unknown job" },
  },
  disableJob: {
    method: "post",
    path: "/api/jobs/{id}/disable",
    summary: "Disable a job: no scheduled fires; manual triggers still work (persisted)",
    tag: "jobs",
    auth: true,
    params: idOf("job"),
    ok: { description: "the job", content: { "application/json": views.JobViewSchema } },
    errors: { 404: "unknown job" },
  },
  listRuns: {
    method: "get",
    path: "/api/runs",
    summary: "Runs of all jobs, newest first",
    tag: "runs",
    auth: true,
    query: runsQuerySchema.extend({
      job_id: z.string().min(1).optional().meta({ description: "only runs of this job" }),
    }),
    ok: { description: "runs", content: { "application/json": views.RunListViewSchema } },
    errors: { 400: BAD_RUN_LIST },
  },
  getRun: {
    method: "get",
    path: "/api/runs/{id}",
    summary: "A run with its tasks",
    tag: "runs",
    auth: true,
    params: idOf("run"),
    ok: { description: "the run", content: { "application/json": views.RunDetailViewSchema } },
    errors: { 404: "unknown run" },
  },
  listRunTasks: {
    method: "get",
    path: "/api/runs/{id}/tasks",
    summary: "Tasks of a run, in job order",
    tag: "runs",
    auth: true,
    params: idOf("run"),
    ok: { description: "tasks", content: { "application/json": views.TaskListViewSchema } },
    errors: { 404: "unknown run" },
  },
  taskLogs: {
    method: "get",
    path: "/api/runs/{id}/tasks/{task}/logs",
    summary: "stdout and stderr of one attempt of a task (default: the last)",
    tag: "runs",
    auth: true,
    params: idOf("run").extend({ task: z.string().meta({ description: "task id" }) }),
    query: z.strictObject({
      attempt: intParam(1, MAX_ATTEMPT).optional().meta({
        description: "attempt number (1-based); default the last",
      }),
      format: z.enum(["text", "json"]).optional().meta({
        description: "`text` (default) or `json`; `Accept: application/json` also selects JSON",
      }),
    }),
    ok: {
      description: "the attempt's logs",
      content: {
        "text/plain": text(
          "stdout then stderr, each under a `==> task (attempt n) stream <==` line",
        ),
        "application/json": views.TaskLogsViewSchema,
      },
    },
    errors: {
      400: "invalid parameter",
      404: "unknown run, task or attempt, or the task has not started",
    },
  },
  cancelRun: {
    method: "post",
    path: "/api/runs/{id}/cancel",
    summary: "Cancel a running run: its process groups are terminated, the run ends `cancelled`",
    tag: "runs",
    auth: true,
    params: idOf("run"),
    ok: {
      description: "cancellation started",
      content: { "application/json": views.CancelViewSchema },
    },
    errors: { 404: "unknown run", 409: "the run is finished, or runs in another process" },
  },
  retryRun: {
    method: "post",
    path: "/api/runs/{id}/retry",
    summary: "Re-run a finished run's failed, skipped and unfinished tasks as a new run",
    tag: "runs",
    auth: true,
    params: idOf("run"),
    ok: {
      description: "retry run started",
      content: { "application/json": views.RetryViewSchema },
    },
    errors: {
      404: "unknown run, or its job is not loaded",
      409: "the run is still running, or the scheduler is stopping",
      429: LIMIT,
    },
  },
  events: {
    method: "get",
    path: "/api/events",
    summary: "Server-sent events",
    description: "`id` is the stored event id, `event` its type, `data` the event as JSON " +
      "(without logs). `: heartbeat` comments keep an idle stream open.",
    tag: "events",
    auth: true,
    // Not strict: unknown parameters are ignored here, as they always were.
    query: z.object({
      last_event_id: intParam(0, Number.MAX_SAFE_INTEGER).optional().meta({
        description: "same as the Last-Event-ID header (for clients that cannot set it)",
      }),
    }),
    headers: z.object({
      "Last-Event-ID": intParam(0, Number.MAX_SAFE_INTEGER).optional().meta({
        description: "replay the stored events after this id first",
      }),
    }),
    ok: {
      description: "event stream",
      content: { "text/event-stream": text("`id:`, `event:` and `data:` lines per event") },
    },
    errors: { 400: "invalid last event id" },
  },
  dashboard: {
    method: "get",
    path: "/",
    summary: "The dashboard: an HTML page that uses this API (open without a token)",
    tag: "system",
    auth: false,
    ok: { description: "dashboard", content: { "text/html": text("the page") } },
  },
  metrics: {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (text format 0.0.4)",
    tag: "system",
    auth: true,
    ok: {
      description: "metrics",
      content: { [METRICS_CONTENT_TYPE]: text("Prometheus text exposition format") },
    },
  },
});
