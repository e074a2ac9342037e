/**
 * Every route of the API, declared once (see `contract.ts` for what a route declares). The
 * route modules register these paths with these validators, `auth.ts` leaves the open ones
 * open, `openapi.ts` generates the document from this table, and the API tests check every
 * answer against it.
 *
 * @module
 */

import { z } from "zod";
import { RunStatusSchema } from "../core/status_schemas.ts";
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

/**
 * Fire times `GET /api/jobs/{id}/next` lists when `count` is not given.
 * @default 5
 */
export const DEFAULT_NEXT_FIRES = 5;

/**
 * Most fire times one `GET /api/jobs/{id}/next` lists.
 * @default 100
 */
export const MAX_NEXT_FIRES = 100;

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
const fields = (schema: z.ZodObject) => Object.keys(schema.shape).join(", ");

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
      params: z.record(z.string(), z.string()).optional().meta({
        description: "values of the job's params by name; the others get their defaults",
      }),
    }),
    ok: {
      description: "run started",
      content: { "application/json": views.StartedRunViewSchema },
    },
    errors: {
      400: "invalid body; a param the job does not take, a required param without a value, " +
        "or a value that does not match its pattern (the message names the param)",
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
  jobNext: {
    method: "get",
    path: "/api/jobs/{id}/next",
    summary: "The next fire times of a job's schedule (as `pt next --json`)",
    tag: "jobs",
    auth: true,
    params: idOf("job"),
    query: z.strictObject({
      count: intParam(1, MAX_NEXT_FIRES).optional().meta({
        description: "how many fire times",
        default: DEFAULT_NEXT_FIRES,
      }),
    }),
    ok: {
      description: "fire times from now on (empty when the job has no schedule), whether " +
        "or not the job is enabled",
      content: { "application/json": views.NextFiresViewSchema },
    },
    errors: { 400: "invalid count", 404: "unknown job" },
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
  listRunAttempts: {
    method: "get",
    path: "/api/runs/{id}/attempts",
    summary: "Attempts of a run's tasks, without their output, oldest first",
    tag: "runs",
    auth: true,
    params: idOf("run"),
    ok: {
      description: "attempts; a running one has `ended_at` null",
      content: { "application/json": views.AttemptListViewSchema },
    },
    errors: { 404: "unknown run" },
  },
  taskLogs: {
    method: "get",
    path: "/api/runs/{id}/tasks/{task}/logs",
    summary: "stdout and stderr of a task's attempt (default: the last), or followed live",
    description: "A running attempt answers its output so far (`running: true`), read from " +
      "the capture of the `pt run` that runs it. With `follow=true` the answer is an event " +
      "stream from the start of the attempt: its lines so far, then the new ones as they come, " +
      "an `end` event when it ends, the next attempt's if it is retried, and the stream closes " +
      "once the task is final. A finished task replays its stored attempts, then closes. " +
      "`: heartbeat` comments keep an idle stream open.",
    tag: "runs",
    auth: true,
    params: idOf("run").extend({ task: z.string().meta({ description: "task id" }) }),
    query: z.strictObject({
      attempt: intParam(1, MAX_ATTEMPT).optional().meta({
        description: "attempt number (1-based); default the last. With `follow`: the first " +
          "attempt streamed (default all)",
      }),
      format: z.enum(["text", "json"]).optional().meta({
        description: "`text` (default) or `json`; `Accept: application/json` also selects JSON",
      }),
      follow: z.enum(["true", "false"]).optional().meta({
        description: "`true`: stream the task's lines as server-sent events until it is final",
        default: "false",
      }),
    }),
    ok: {
      description: "the attempt's logs, or with `follow=true` the event stream",
      content: {
        "text/plain": text(
          "stdout then stderr, each under a `==> task (attempt n) stream <==` line",
        ),
        "application/json": views.TaskLogsViewSchema,
        "text/event-stream": text(
          `\`event: line\` per line, data {${fields(views.LogLineEventSchema)}}; ` +
            `\`event: end\` per attempt, data {${fields(views.LogEndEventSchema)}}`,
        ),
      },
    },
    errors: {
      400: "invalid parameter",
      404: "unknown run, task or attempt, or the task has not started",
      409: "`follow` of a run that runs in another process (`pt trigger`): its attempts' " +
        "logs are stored as they end",
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
    summary: "The web UI: an HTML page that uses this API (open without a token)",
    tag: "system",
    auth: false,
    ok: {
      description: "the web UI's page; `/jobs/{id}` and `/runs/{id}` serve the same page",
      content: { "text/html": text("the page") },
    },
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
