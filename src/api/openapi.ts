/**
 * The OpenAPI 3.1 description of the API, written by hand. A test checks that it names
 * exactly the routes the app serves.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import { RUN_STATUSES } from "./routes/shared.ts";

/** The subset of JSON Schema this document uses. */
export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean" | "null" | (
    | "string"
    | "integer"
    | "null"
  )[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  enum?: (string | number | boolean)[];
  const?: string | boolean;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  $ref?: string;
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  description: string;
  schema: JsonSchema;
}

interface Response {
  description: string;
  content?: Record<string, { schema: JsonSchema }>;
}

interface Operation {
  summary: string;
  operationId: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, Response>;
  security?: Record<string, string[]>[];
}

/** An OpenAPI 3.1 document (the parts Petit uses). */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  paths: Record<string, Partial<Record<"get" | "post", Operation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, { type: "http"; scheme: "bearer"; description: string }>;
  };
  security: Record<string, string[]>[];
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str: JsonSchema = { type: "string" };
const int: JsonSchema = { type: "integer" };
const bool: JsonSchema = { type: "boolean" };
const ms: JsonSchema = { type: "integer", description: "epoch milliseconds" };
const nullable = (type: "string" | "integer", description?: string): JsonSchema => ({
  type: [type, "null"],
  ...(description ? { description } : {}),
});
const object = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: "object",
  properties,
  required: Object.keys(properties),
});
const json = (schema: JsonSchema, description: string): Response => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string): Response => json(ref("Error"), description);

const idParam = (what: string): Parameter => ({
  name: "id",
  in: "path",
  required: true,
  description: `${what} id`,
  schema: str,
});
const runListParams: Parameter[] = [
  {
    name: "limit",
    in: "query",
    description: "most runs to return",
    schema: { type: "integer", minimum: 1, maximum: 1000, default: 50 },
  },
  {
    name: "status",
    in: "query",
    description: "only runs with this status",
    schema: ref("RunStatus"),
  },
  {
    name: "before",
    in: "query",
    description: "only runs started strictly before this instant (epoch ms). Paging with " +
      "`before=<started_at of the last run>` can skip runs that share that instant: use `cursor`",
    schema: { type: "integer", minimum: 0 },
  },
  {
    name: "cursor",
    in: "query",
    description: "the `next_cursor` of the previous page, unchanged (with the same filters): " +
      "lists the runs after that page, each run exactly once",
    schema: str,
  },
];

const SCHEMAS: Record<string, JsonSchema> = {
  Error: {
    ...object({
      error: { type: "string", description: "what went wrong, for people" },
      code: {
        type: "string",
        enum: [
          "BAD_REQUEST",
          "UNAUTHORIZED",
          "NOT_FOUND",
          "CONFLICT",
          "PAYLOAD_TOO_LARGE",
          "TOO_MANY_REQUESTS",
          "INTERNAL_ERROR",
        ],
      },
    }),
  },
  Health: object({ status: { const: "ok", type: "string" }, version: str }),
  SchedulerState: object({
    state: { type: "string", enum: ["running", "paused", "stopping"] },
    is_running: bool,
    is_paused: bool,
  }),
  Job: object({
    id: str,
    name: str,
    description: nullable("string"),
    enabled: bool,
    scheduled: { type: "boolean", description: "has a schedule and is enabled" },
    task_count: int,
    schedule: nullable("string", "the schedule expression as written"),
    timezone: nullable("string"),
    next_run: nullable("integer", "next fire time (epoch ms), null when not scheduled"),
  }),
  JobList: object({ jobs: { type: "array", items: ref("Job") }, count: int }),
  JobDetail: {
    allOf: [
      ref("Job"),
      object({
        last_run: {
          description: "the newest run of the job, or null",
          anyOf: [ref("Run"), { type: "null" }],
        },
        tasks: {
          type: "array",
          items: object({
            id: str,
            name: str,
            depends_on: { type: "array", items: str },
            condition: { type: "string", enum: ["all_success", "on_failure", "all_done"] },
          }),
        },
        depends_on: {
          type: "array",
          items: object({
            job_id: str,
            condition: { type: "string", enum: ["last_success", "last_complete", "within_window"] },
            window_ms: nullable("integer"),
          }),
        },
      }),
    ],
  },
  RunStatus: { type: "string", enum: [...RUN_STATUSES] },
  Run: object({
    id: str,
    job_id: str,
    status: ref("RunStatus"),
    trigger: { type: "string", enum: ["schedule", "manual", "api", "retry"] },
    started_at: ms,
    ended_at: nullable("integer", "epoch milliseconds"),
    duration_ms: nullable("integer"),
    error: nullable("string"),
    reason: nullable("string", "why the run was skipped or retried"),
    scheduled_for: nullable("integer", "the schedule slot (epoch ms) or null"),
    retry_of: nullable("string"),
  }),
  RunList: object({
    runs: { type: "array", items: ref("Run") },
    count: int,
    next_cursor: nullable(
      "string",
      "opaque; pass it as `cursor` for the next page. Null on the last page",
    ),
  }),
  TaskRun: object({
    task_id: str,
    run_id: str,
    status: {
      type: "string",
      enum: ["pending", "running", "completed", "failed", "skipped", "cancelled"],
    },
    attempts: int,
    started_at: nullable("integer", "epoch milliseconds"),
    ended_at: nullable("integer", "epoch milliseconds"),
    duration_ms: nullable("integer"),
    exit_code: nullable("integer"),
    error: nullable("string"),
  }),
  RunDetail: {
    allOf: [ref("Run"), object({ tasks: { type: "array", items: ref("TaskRun") } })],
  },
  TaskList: object({ tasks: { type: "array", items: ref("TaskRun") }, count: int }),
  TaskLogs: object({
    run_id: str,
    task_id: str,
    attempt: int,
    attempts: { type: "integer", description: "attempts the task has made" },
    started_at: ms,
    ended_at: nullable("integer", "epoch milliseconds"),
    exit_code: nullable("integer"),
    error: nullable("string"),
    stdout: str,
    stderr: str,
    stdout_truncated: bool,
    stderr_truncated: bool,
    stdout_bytes: { type: "integer", description: "bytes produced, kept or not" },
    stderr_bytes: { type: "integer", description: "bytes produced, kept or not" },
  }),
  StartedRun: object({ run_id: str, job_id: str, message: str }),
  RetriedRun: object({ run_id: str, job_id: str, retry_of: str, message: str }),
  Cancelled: object({ run_id: str, cancelled: { type: "boolean", const: true } }),
};
const NOT_FOUND = error("unknown job, run, task or attempt");
const BAD_REQUEST = error("invalid parameter or body");
const BAD_RUN_LIST = error("invalid parameter, such as a cursor that is not a next_cursor");
const UNAUTHORIZED = error("missing or wrong bearer token");

/** The OpenAPI document, built fresh each call (callers may mutate it). */
export function openApiDocument(): OpenApiDocument {
  const doc: OpenApiDocument = {
    openapi: "3.1.0",
    info: {
      title: "Petit",
      version: VERSION,
      description: "Petit's scheduler API. Timestamps are epoch milliseconds. Errors are " +
        "`{error, code}`. When a token is configured, every route but /api/health needs " +
        "`Authorization: Bearer <token>`.",
    },
    security: [{ bearer: [] }],
    components: {
      schemas: structuredClone(SCHEMAS),
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "PETIT_API_TOKEN; only enforced when the server has a token",
        },
      },
    },
    paths: {
      "/api/health": {
        get: {
          summary: "Liveness and version (never needs a token)",
          operationId: "health",
          tags: ["system"],
          security: [],
          responses: { "200": json(ref("Health"), "alive") },
        },
      },
      "/api/openapi.json": {
        get: {
          summary: "This document",
          operationId: "openapi",
          tags: ["system"],
          responses: { "200": { description: "OpenAPI 3.1 document" }, "401": UNAUTHORIZED },
        },
      },
      "/api/scheduler/state": {
        get: {
          summary: "Scheduler state",
          operationId: "schedulerState",
          tags: ["scheduler"],
          responses: { "200": json(ref("SchedulerState"), "state"), "401": UNAUTHORIZED },
        },
      },
      "/api/scheduler/pause": {
        post: {
          summary: "Stop scheduled fires (manual triggers still work)",
          operationId: "pause",
          tags: ["scheduler"],
          responses: { "200": json(ref("SchedulerState"), "new state"), "401": UNAUTHORIZED },
        },
      },
      "/api/scheduler/resume": {
        post: {
          summary: "Resume scheduled fires from now on",
          operationId: "resume",
          tags: ["scheduler"],
          responses: { "200": json(ref("SchedulerState"), "new state"), "401": UNAUTHORIZED },
        },
      },
      "/api/jobs": {
        get: {
          summary: "Loaded jobs",
          operationId: "listJobs",
          tags: ["jobs"],
          responses: { "200": json(ref("JobList"), "jobs in load order"), "401": UNAUTHORIZED },
        },
      },
      "/api/jobs/{id}": {
        get: {
          summary: "A job with its last run, tasks and job dependencies",
          operationId: "getJob",
          tags: ["jobs"],
          parameters: [idParam("job")],
          responses: {
            "200": json(ref("JobDetail"), "the job"),
            "401": UNAUTHORIZED,
            "404": NOT_FOUND,
          },
        },
      },
      "/api/jobs/{id}/runs": {
        get: {
          summary: "Runs of a job, newest first",
          operationId: "listJobRuns",
          tags: ["jobs", "runs"],
          parameters: [idParam("job"), ...runListParams],
          responses: {
            "200": json(ref("RunList"), "runs"),
            "400": BAD_RUN_LIST,
            "401": UNAUTHORIZED,
            "404": error("unknown job with no recorded runs"),
          },
        },
      },
      "/api/jobs/{id}/trigger": {
        post: {
          summary: "Start a run now (trigger `api`)",
          operationId: "triggerJob",
          tags: ["jobs"],
          parameters: [idParam("job")],
          requestBody: {
            required: false,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  additionalProperties: false,
                  properties: {
                    force: {
                      type: "boolean",
                      default: false,
                      description: "run even if a job dependency is not satisfied",
                    },
                  },
                },
              },
            },
          },
          responses: {
            "200": json(ref("StartedRun"), "run started"),
            "400": BAD_REQUEST,
            "401": UNAUTHORIZED,
            "404": error("unknown job"),
            "409": error("a job dependency is not satisfied, or the scheduler is stopping"),
            "413": error("body too large"),
            "429": error("max_concurrency or --max-jobs reached"),
          },
        },
      },
      "/api/jobs/{id}/enable": {
        post: {
          summary: "Enable a job (persisted)",
          operationId: "enableJob",
          tags: ["jobs"],
          parameters: [idParam("job")],
          responses: {
            "200": json(ref("Job"), "the job"),
            "401": UNAUTHORIZED,
            "404": error("unknown job"),
          },
        },
      },
      "/api/jobs/{id}/disable": {
        post: {
          summary: "Disable a job: no scheduled fires; manual triggers still work (persisted)",
          operationId: "disableJob",
          tags: ["jobs"],
          parameters: [idParam("job")],
          responses: {
            "200": json(ref("Job"), "the job"),
            "401": UNAUTHORIZED,
            "404": error("unknown job"),
          },
        },
      },
      "/api/runs": {
        get: {
          summary: "Runs of all jobs, newest first",
          operationId: "listRuns",
          tags: ["runs"],
          parameters: [
            { name: "job_id", in: "query", description: "only runs of this job", schema: str },
            ...runListParams,
          ],
          responses: {
            "200": json(ref("RunList"), "runs"),
            "400": BAD_RUN_LIST,
            "401": UNAUTHORIZED,
          },
        },
      },
      "/api/runs/{id}": {
        get: {
          summary: "A run with its tasks",
          operationId: "getRun",
          tags: ["runs"],
          parameters: [idParam("run")],
          responses: {
            "200": json(ref("RunDetail"), "the run"),
            "401": UNAUTHORIZED,
            "404": error("unknown run"),
          },
        },
      },
      "/api/runs/{id}/tasks": {
        get: {
          summary: "Tasks of a run, in job order",
          operationId: "listRunTasks",
          tags: ["runs"],
          parameters: [idParam("run")],
          responses: {
            "200": json(ref("TaskList"), "tasks"),
            "401": UNAUTHORIZED,
            "404": error("unknown run"),
          },
        },
      },
      "/api/runs/{id}/tasks/{task}/logs": {
        get: {
          summary: "stdout and stderr of one attempt of a task (default: the last)",
          operationId: "taskLogs",
          tags: ["runs"],
          parameters: [
            idParam("run"),
            { name: "task", in: "path", required: true, description: "task id", schema: str },
            {
              name: "attempt",
              in: "query",
              description: "attempt number (1-based); default the last",
              schema: { type: "integer", minimum: 1 },
            },
            {
              name: "format",
              in: "query",
              description: "`text` (default) or `json`; `Accept: application/json` also " +
                "selects JSON",
              schema: { type: "string", enum: ["text", "json"] },
            },
          ],
          responses: {
            "200": {
              description: "the attempt's logs",
              content: {
                "text/plain": {
                  schema: {
                    type: "string",
                    description:
                      "stdout then stderr, each under a `==> task (attempt n) stream <==` line",
                  },
                },
                "application/json": { schema: ref("TaskLogs") },
              },
            },
            "400": BAD_REQUEST,
            "401": UNAUTHORIZED,
            "404": error("unknown run, task or attempt, or the task has not started"),
          },
        },
      },
      "/api/runs/{id}/cancel": {
        post: {
          summary:
            "Cancel a running run: its process groups are terminated, the run ends `cancelled`",
          operationId: "cancelRun",
          tags: ["runs"],
          parameters: [idParam("run")],
          responses: {
            "200": json(ref("Cancelled"), "cancellation started"),
            "401": UNAUTHORIZED,
            "404": error("unknown run"),
            "409": error("the run is finished, or runs in another process"),
          },
        },
      },
      "/api/runs/{id}/retry": {
        post: {
          summary: "Re-run a finished run's failed, skipped and unfinished tasks as a new run",
          operationId: "retryRun",
          tags: ["runs"],
          parameters: [idParam("run")],
          responses: {
            "200": json(ref("RetriedRun"), "retry run started"),
            "401": UNAUTHORIZED,
            "404": error("unknown run, or its job is not loaded"),
            "409": error("the run is still running, or the scheduler is stopping"),
            "429": error("max_concurrency or --max-jobs reached"),
          },
        },
      },
      "/api/events": {
        get: {
          summary: "Server-sent events: `id` is the stored event id, `event` its type, " +
            "`data` the event as JSON (without logs)",
          operationId: "events",
          tags: ["events"],
          parameters: [
            {
              name: "Last-Event-ID",
              in: "header",
              description: "replay the stored events after this id first",
              schema: { type: "integer", minimum: 0 },
            },
            {
              name: "last_event_id",
              in: "query",
              description: "same as the Last-Event-ID header (for clients that cannot set it)",
              schema: { type: "integer", minimum: 0 },
            },
          ],
          responses: {
            "200": {
              description: "event stream; a `: heartbeat` comment every 15 s",
              content: { "text/event-stream": { schema: str } },
            },
            "400": BAD_REQUEST,
            "401": UNAUTHORIZED,
          },
        },
      },
      "/": {
        get: {
          summary: "The dashboard (an HTML page that uses this API; open without a token)",
          operationId: "dashboard",
          tags: ["system"],
          responses: {
            "200": { description: "dashboard", content: { "text/html": { schema: str } } },
          },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (text format 0.0.4)",
          operationId: "metrics",
          tags: ["system"],
          responses: {
            "200": {
              description: "metrics",
              content: { "text/plain; version=0.0.4": { schema: str } },
            },
            "401": UNAUTHORIZED,
          },
        },
      },
    },
  };
  return doc;
}
