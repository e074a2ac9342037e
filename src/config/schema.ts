/**
 * The zod schema of a job file. It checks the shape of the YAML (types, unknown keys,
 * required fields, enums, ranges, duration strings); cross-field and cross-file rules
 * (dependencies, cycles, schedules, templates) are checked by the loader, which knows
 * where every node is. `pt schema` prints this schema as JSON Schema.
 *
 * The JSON Schema also carries the loader's rules that JSON Schema can state (patterns of
 * durations and schedules, which fields each task type needs or forbids, fields that exclude
 * each other), as JSON Schema keywords in `.meta()`: zod passes them through to
 * `z.toJSONSchema` and ignores them when parsing, so the loader keeps its own positioned
 * messages. tests/config/schema_test.ts checks that the two agree.
 *
 * @module
 */

import { z } from "zod";
import { DURATION_PATTERN, DurationError, parseDuration } from "../schedule/duration.ts";
import { HTTP_METHODS, ID_PATTERN, PARAM_NAME_PATTERN } from "../core/model.ts";
import { paramPattern } from "../core/params.ts";
import { SCHEDULE_PATTERN } from "../schedule/schedule.ts";
import { NOTIFY_CHANNELS, NOTIFY_ON } from "../core/notify.ts";
import {
  KUBERNETES_DEPENDENT_SCHEMAS,
  KUBERNETES_TASK_FIELDS,
  KUBERNETES_TASK_RULE,
  ResourcesSchema,
} from "./kube_schema.ts";

export { ID_PATTERN };

/**
 * Job and task ids in job files: ID_PATTERN's characters, but not first a "-" or ".": an id
 * such as `-5m` reads as an option on the command line (`pt trigger -5m`), and `.` or `..`
 * as a folder in the paths built from ids (a run's folder, a Python task's file).
 */
export const JOB_FILE_ID_PATTERN: RegExp = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const id = (what: string) =>
  z.string().regex(JOB_FILE_ID_PATTERN, {
    error: `${what} may only contain letters, digits, "_", "." and "-", and must not start ` +
      `with "-" or "."`,
  });

/** No NUL character: a process cannot be given one in an argument or variable. */
// deno-lint-ignore no-control-regex -- NUL is the character refused
const NO_NUL = /^[^\x00]*$/;

/** A text that ends up in a process's arguments, path or environment. */
const processText = () =>
  z.string().regex(NO_NUL, {
    error: "must not contain a NUL character (\\0), which no process can be given",
  });

/** An environment variable's name: not empty, no `=` (it ends the name) and no NUL. */
// deno-lint-ignore no-control-regex -- NUL is a character refused
const ENV_NAME_PATTERN = /^[^=\x00]+$/;

/** A duration string such as `30s`, `5m`, `1h30m`. */
const duration = z.string().superRefine((text, ctx) => {
  try {
    parseDuration(text);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    ctx.addIssue({ code: "custom", message: err.message });
  }
}).meta({
  description: "Duration such as 30s, 5m, 1h30m, 1d",
  examples: ["30s", "5m", "1h30m"],
  pattern: DURATION_PATTERN.source,
});

/** A schedule expression; parseSchedule checks it in the loader, the pattern in editors. */
const scheduleExpression = z.string().meta({ pattern: SCHEDULE_PATTERN.source });

/** Task types that run `script` rather than `command`. */
const SCRIPT_TYPES = ["shell", "python"] as const;

/** The fields of `type: http` tasks only. */
export const HTTP_FIELDS = ["url", "method", "headers", "body", "expect_status"] as const;

/** Fields of tasks that run a program, which an HTTP task refuses. */
export const NOT_FOR_HTTP = [
  "command",
  "args",
  "script",
  "working_dir",
  "environment",
  "env_file",
  "host",
] as const;

/** The fields of `type: job` (sub-job) tasks only. */
export const JOB_TASK_FIELDS = ["job", "params"] as const;

/** Fields of tasks that run a program, which a sub-job task refuses. */
export const NOT_FOR_JOB_TASKS = [
  "command",
  "args",
  "script",
  "working_dir",
  "environment",
  "env_file",
  "host",
] as const;

/** A header name: an HTTP token (RFC 9110, section 5.6.2). */
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A header value as written: no line break or NUL, which would end or corrupt the header. */
// deno-lint-ignore no-control-regex -- NUL is a character refused
const HEADER_VALUE_PATTERN = /^[^\r\n\x00]*$/;

/** A class of statuses in `expect_status`. */
const STATUS_CLASS_PATTERN = /^[1-5]xx$/;

const seconds = z.number().positive({ error: "must be greater than zero" });

const scalar = z.union([processText(), z.number(), z.boolean()], {
  error: "must be a string, number or boolean",
});

const envName = z.string().regex(ENV_NAME_PATTERN, {
  error: 'environment variable names must not be empty or contain "=" or a NUL character',
});

const envMap = z.record(envName, scalar, { error: "must be a map of NAME: value" })
  .meta({ description: "Environment variables (values are stringified)" });

const envFile = processText().min(1, { error: "must not be empty" }).meta({
  description: "A KEY=VALUE file read when the run (job) or task starts; relative paths " +
    "resolve against the job file's folder",
});

const paramName = z.string().regex(PARAM_NAME_PATTERN, {
  error: 'param names start with a letter or "_" and hold only letters, digits and "_"',
});

/** A parameter's `pattern`: a regular expression, anchored to the whole value. */
const paramPatternText = z.string().superRefine((text, ctx) => {
  try {
    paramPattern(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    // "Invalid regular expression: /^(?:…)$/: Unterminated group" → "Unterminated group".
    const why = err.message.slice(err.message.lastIndexOf(": ") + 2);
    ctx.addIssue({ code: "custom", message: `not a valid regular expression (${why})` });
  }
}).meta({ description: "Regular expression the whole value must match" });

/** `params:` of a job: name → default, or name → {default, description, pattern}. */
const paramsMap = z.record(
  paramName,
  // Flat, so that a map given to a scalar branch is reported by the map's own branch.
  z.union([
    processText(),
    z.number(),
    z.boolean(),
    z.strictObject({
      default: scalar.meta({
        description: "Value when none is given; without one the param is required for " +
          "manual runs (and the job cannot have a schedule)",
      }).optional(),
      description: z.string().optional(),
      pattern: paramPatternText.optional(),
    }),
  ], { error: "must be a default value, or a map {default, description, pattern}" }),
  { error: "must be a map of NAME: default or NAME: {default, description, pattern}" },
).meta({
  description: "Parameters given when the job is triggered: {{ params.NAME }} and " +
    "PETIT_PARAM_<NAME> in every task",
});

const headerName = z.string().regex(HEADER_NAME_PATTERN, {
  error: "header names may only contain letters, digits and !#$%&'*+-.^_`|~",
});

const headerValue = z.union([
  z.string().regex(HEADER_VALUE_PATTERN, {
    error: "must not contain a line break or a NUL character",
  }),
  z.number(),
  z.boolean(),
], { error: "must be a string, number or boolean" });

const expectedStatus = z.union([
  z.int({ error: "must be a whole number" }).min(100, {
    error: "must be a status code from 100 to 599",
  }).max(599, { error: "must be a status code from 100 to 599" }),
  z.string().regex(STATUS_CLASS_PATTERN, {
    error: "must be a status code such as 404 or a class: 1xx, 2xx, 3xx, 4xx or 5xx",
  }),
], { error: "must be a status code such as 404 or a class such as 2xx" });

/** `retry:` of a task. */
export const RetrySchema = z.strictObject({
  max_attempts: z.int({ error: "must be a whole number" }).min(0, {
    error: "must be 0 or more",
  }).meta({ description: "Number of retries (total executions = max_attempts + 1)" }).optional(),
  delay_secs: z.number().min(0, { error: "must be 0 or more" }).meta({
    description: "Delay before a retry, in seconds",
  }).optional(),
  delay: duration.meta({ description: "Delay before a retry, as a duration (30s, 5m)" })
    .optional(),
  backoff: z.enum(["fixed", "exponential"]).meta({
    description: "fixed (default) or exponential (the delay doubles each retry)",
  }).optional(),
  max_delay: z.union([duration, seconds], {
    error: "must be a duration such as 5m, or a number of seconds",
  }).meta({ description: "Upper bound of the exponential delay" }).optional(),
  condition: z.enum(["always", "transient_only", "never"]).meta({
    description: "Which failures are retried: always (default), transient_only, never",
  }).optional(),
}, { error: "must be a map" }).meta({
  // A key set to `false` in `properties` must be absent.
  dependentSchemas: { delay: { properties: { delay_secs: false } } },
});

/** The name of a `[hosts.NAME]` table of the config file: command tasks run there over SSH. */
const hostName = z.string().regex(ID_PATTERN, {
  error: "must be a host name of the config file ([hosts.NAME])",
}).meta({
  description: "Run command, shell and python tasks on this host of the config file " +
    "([hosts.NAME]) over SSH; a job's host is the default of its tasks",
});

/** One task of a job. */
export const TaskSchema = z.strictObject({
  id: id("task id").meta({ description: "Task id, unique in the job" }),
  name: z.string().optional(),
  type: z.enum(["command", ...SCRIPT_TYPES, "http", "job", "kubernetes"]).meta({
    description: "command (default: program + args, no shell), shell (/bin/sh -c script), " +
      "python (python3 script), http (one HTTP request to url), job (a run of another job), " +
      "kubernetes (a container run as a Kubernetes Job)",
  }).optional(),
  command: z.union([
    processText().min(1, { error: "must not be empty" }),
    z.array(processText(), { error: "must be a list of strings" }),
  ], {
    error: "must be the program to run (a string), or with type: kubernetes a list of strings",
  }).meta({
    description: "Program to run (type: command), or the container's entrypoint as a list " +
      "(type: kubernetes)",
  }).optional(),
  args: z.array(scalar, { error: "must be a list" }).meta({
    description: "Arguments (numbers and booleans are stringified)",
  }).optional(),
  script: processText().meta({ description: "Script text (type: shell or python)" }).optional(),
  inline: z.boolean().meta({ description: "python only: pass the script with -c" }).optional(),
  working_dir: processText().meta({
    description: "Working directory; relative paths resolve against the job file's folder",
  }).optional(),
  environment: envMap.optional(),
  env_file: envFile.optional(),
  host: hostName.optional(),
  job: id("job id").meta({ description: "Job to run as a child run (type: job)" }).optional(),
  params: z.record(paramName, scalar, { error: "must be a map of NAME: value" }).meta({
    description: "Values of the child job's params (type: job; templates allowed)",
  }).optional(),
  url: z.string().min(1, { error: "must not be empty" }).meta({
    description: "URL to request (type: http; http or https, templates allowed)",
  }).optional(),
  method: z.enum(HTTP_METHODS).meta({ description: "HTTP method (type: http), default GET" })
    .optional(),
  headers: z.record(headerName, headerValue, { error: "must be a map of Name: value" }).meta({
    description: "Request headers (type: http; templates allowed in values)",
  }).optional(),
  body: z.string().meta({
    description: "Request body (type: http, not with GET or HEAD; templates allowed)",
  }).optional(),
  expect_status: z.array(expectedStatus, {
    error: "must be a list of status codes and classes, such as [2xx, 404]",
  }).min(1, { error: "must list at least one status" }).meta({
    description: "Statuses that count as success (type: http), default [2xx]",
  }).optional(),
  image: processText().min(1, { error: "must not be empty" }).meta({
    description: "Container image (type: kubernetes; templates allowed), e.g. busybox:1.36",
  }).optional(),
  ...KUBERNETES_TASK_FIELDS,
  timeout_secs: seconds.meta({ description: "Timeout of one attempt, in seconds" }).optional(),
  timeout: duration.meta({ description: "Timeout of one attempt, as a duration (30s, 5m, 1h)" })
    .optional(),
  // The loader reports a malformed or repeated id as an unknown or repeated dependency.
  depends_on: z.array(z.string().meta({ pattern: JOB_FILE_ID_PATTERN.source }), {
    error: "must be a list of task ids",
  }).meta({ description: "Ids of tasks that must finish first", uniqueItems: true }).optional(),
  condition: z.enum(["all_success", "on_failure", "all_done", "always"]).meta({
    description: "all_success (default), on_failure, all_done (alias: always)",
  }).optional(),
  retry: RetrySchema.optional(),
}, { error: "must be a map" }).meta({
  // The loader's checkTaskKind, one entry per task type (no `type` is command). ajv's strict
  // mode wants every key a subschema requires named in that subschema's `properties`, hence the
  // `true` entries.
  allOf: [
    {
      if: { properties: { type: { const: "command" } } },
      then: { properties: { command: { type: "string" }, script: false }, required: ["command"] },
    },
    {
      if: { properties: { type: { enum: SCRIPT_TYPES } }, required: ["type"] },
      then: { properties: { script: true, command: false, args: false }, required: ["script"] },
    },
    {
      if: { properties: { type: { const: "http" } }, required: ["type"] },
      then: {
        properties: { url: true, ...Object.fromEntries(NOT_FOR_HTTP.map((k) => [k, false])) },
        required: ["url"],
        // GET (the default) and HEAD send no body.
        if: { properties: { method: { enum: ["GET", "HEAD"] } } },
        then: { properties: { body: false } },
      },
    },
    {
      if: { properties: { type: { const: "job" } }, required: ["type"] },
      then: {
        properties: { job: true, ...Object.fromEntries(NOT_FOR_JOB_TASKS.map((k) => [k, false])) },
        required: ["job"],
      },
    },
    KUBERNETES_TASK_RULE,
  ],
  dependentSchemas: {
    inline: { properties: { type: { const: "python" } }, required: ["type"] },
    timeout: { properties: { timeout_secs: false } },
    ...Object.fromEntries(HTTP_FIELDS.map((k) => [k, {
      properties: { type: { const: "http" } },
      required: ["type"],
    }])),
    ...Object.fromEntries(JOB_TASK_FIELDS.map((k) => [k, {
      properties: { type: { const: "job" } },
      required: ["type"],
    }])),
    ...KUBERNETES_DEPENDENT_SCHEMAS,
  },
});

const withinWindow = z.strictObject({
  within_window: z.strictObject({ seconds }, { error: "must be a map {seconds: N}" }),
}, { error: "must be a map" });

/** One entry of a job's `depends_on`. */
export const JobDependencySchema = z.union([
  id("job id"),
  z.strictObject({
    job: id("job id").optional(),
    job_id: id("job id").optional(),
    condition: z.union([
      z.enum(["last_success", "last_complete", "within_window"]),
      withinWindow,
    ], {
      error: "must be last_success, last_complete, within_window or {within_window: {seconds: N}}",
    }).optional(),
    window: z.union([duration, seconds], {
      error: "must be a duration such as 1h, or a number of seconds",
    }).optional(),
  }).meta({
    // The loader's collectJobDeps: exactly one of job and job_id; window with within_window only.
    oneOf: [
      { properties: { job: true }, required: ["job"] },
      { properties: { job_id: true }, required: ["job_id"] },
    ],
    if: { properties: { condition: { const: "within_window" } }, required: ["condition"] },
    then: { properties: { window: true }, required: ["window"] },
    else: { properties: { window: false } },
  }),
], { error: "must be a job id or a map {job, condition, window}" });

/** A webhook or ntfy URL as written: http:// or https://, then no spaces. */
export const HTTP_URL_PATTERN: RegExp = /^https?:\/\/\S+$/;

/** A URL that notifications are POSTed to: http or https, with a host the URL parser takes. */
const notifyUrl = (description: string, example: string) =>
  z.string().superRefine((text, ctx) => {
    if (!HTTP_URL_PATTERN.test(text) || !URL.canParse(text) || new URL(text).hostname === "") {
      ctx.addIssue({
        code: "custom",
        message: `must be an http:// or https:// URL, such as ${example}`,
      });
    }
  }).meta({ description, pattern: HTTP_URL_PATTERN.source });

/** One entry of `notify:` (and of the config file's `[[notify.default]]`). */
export const NotifyEntrySchema = z.strictObject({
  on: z.array(z.enum(NOTIFY_ON, { error: `must be one of ${NOTIFY_ON.join(", ")}` }), {
    error: "must be a list such as [failure, cancelled]",
  }).min(1, {
    error: `must list at least one of ${NOTIFY_ON.join(", ")}`,
  }).meta({
    description: "Run outcomes that send it: failure (default), success, cancelled, skipped",
  }).optional(),
  webhook: notifyUrl("POST the run as JSON to this URL", "https://hooks.example.com/petit")
    .optional(),
  ntfy: notifyUrl("POST a short text to this ntfy topic URL", "https://ntfy.sh/my-topic")
    .optional(),
  command: z.array(processText().min(1, { error: "must not be empty" }), {
    error: "must be a list: the program, then its arguments",
  }).min(1, { error: "must not be empty: give the program, then its arguments" }).meta({
    description: "Run this program (no shell) with PETIT_JOB_ID, PETIT_RUN_ID, PETIT_RUN_STATUS",
  }).optional(),
  timeout: duration.meta({ description: "Limit of one delivery attempt (default 10s)" })
    .optional(),
}, { error: "must be a map such as {on: [failure], ntfy: https://ntfy.sh/my-topic}" }).check(
  // Exactly one channel. Checked even when a field is malformed (`when`), so one pass
  // reports both; the loader positions the issue at the entry or at the extra channel.
  z.superRefine((entry, ctx) => {
    if (typeof entry !== "object" || entry === null) return;
    const fields = entry as Record<string, unknown>;
    const given = NOTIFY_CHANNELS.filter((k) => fields[k] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "give one of webhook, ntfy or command (where the notification goes)",
      });
    }
    for (const extra of given.slice(1)) {
      ctx.addIssue({
        code: "custom",
        path: [extra],
        message: `give only one of webhook, ntfy or command (this entry has ${given[0]}); ` +
          "write one entry per channel",
      });
    }
  }, { when: () => true }),
).meta({
  oneOf: NOTIFY_CHANNELS.map((k) => ({ properties: { [k]: true }, required: [k] })),
});

/** A whole job file. */
export const JobSchema = z.strictObject({
  id: id("job id").meta({ description: "Job id, unique across the folder" }),
  name: z.string().optional(),
  description: z.string().optional(),
  schedule: z.union([
    scheduleExpression,
    z.strictObject({
      cron: scheduleExpression,
      timezone: z.string().optional(),
    }),
  ], { error: 'must be a string such as "0 2 * * *", or a map {cron, timezone}' })
    .meta({
      description: "Cron (5 or 6 fields), @daily-style shortcut or @every 1h30m",
    }).optional(),
  timezone: z.string().meta({ description: "IANA time zone of the schedule (default UTC)" })
    .optional(),
  enabled: z.boolean().optional(),
  max_concurrency: z.int({ error: "must be a whole number" }).min(1, {
    error: "must be at least 1",
  }).meta({ description: "Concurrent runs of this job (default unlimited)" }).optional(),
  catchup: z.enum(["none", "last", "all"]).meta({
    description: "Slots missed while Petit was down: none (default), last, all",
  }).optional(),
  catchup_limit: z.int({ error: "must be a whole number" }).min(1, {
    error: "must be at least 1",
  }).optional(),
  config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]), {
    error: "must be a map of key: scalar value",
  }).meta({ description: "Values available to tasks as {{ config.KEY }}" }).optional(),
  environment: envMap.optional(),
  env_file: envFile.optional(),
  host: hostName.optional(),
  secrets: z.array(envName, { error: "must be a list of environment variable names" }).meta({
    description: "Environment variables whose values are shown as *** in logs, events and errors",
  }).optional(),
  params: paramsMap.optional(),
  depends_on: z.array(JobDependencySchema, { error: "must be a list" }).optional(),
  notify: z.array(NotifyEntrySchema, { error: "must be a list of notification entries" }).meta({
    description: "Notifications when a run ends; replaces the config file's [notify] defaults",
  }).optional(),
  tasks: z.array(TaskSchema, { error: "must be a list of tasks" }).min(1, {
    error: "must have at least one task",
  }),
}, { error: "a job file must be a map with at least id and tasks" }).meta({
  // The loader's checkSchedule: a job-level timezone needs a schedule without its own.
  dependentSchemas: {
    timezone: {
      properties: {
        schedule: {
          anyOf: [{ type: "string" }, { type: "object", properties: { timezone: false } }],
        },
      },
      required: ["schedule"],
    },
  },
});

/** The parsed, shape-checked content of a job file. */
export type JobFile = z.infer<typeof JobSchema>;
/** One task as written. */
export type TaskFile = z.infer<typeof TaskSchema>;
/** One notification entry as written (`notify:` of a job, `[[notify.default]]`). */
export type NotifyEntryFile = z.infer<typeof NotifyEntrySchema>;

/** The JSON Schema of a job file, for editors (`# yaml-language-server: $schema=…`). */
export function jobJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(JobSchema, { io: "input", unrepresentable: "any" });
  return {
    ...spellOutTypeUnions(schema) as Record<string, unknown>,
    $id: "https://petit.dev/schema/job.json",
    title: "Petit job file",
  };
}

/**
 * zod writes a union of plain types as `type: ["string", "number"]`, which ajv's strict mode
 * refuses without `allowUnionTypes`; `anyOf: [{type: "string"}, {type: "number"}]` is the same
 * schema in a form every validator takes.
 */
function spellOutTypeUnions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(spellOutTypeUnions);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "type" && Array.isArray(value)) out.anyOf = value.map((type) => ({ type }));
    else out[key] = spellOutTypeUnions(value);
  }
  return out;
}

/** The keys an object at a path of the job file accepts, for "did you mean" hints. */
export function keysAt(path: readonly PropertyKey[]): string[] {
  const objectPath = path.filter((p) => typeof p === "string");
  if (objectPath.length === 0) return Object.keys(JobSchema.shape);
  const [first, second] = objectPath;
  if (first === "tasks") {
    if (second === "retry") return Object.keys(RetrySchema.shape);
    if (second === "resources") {
      return objectPath.length > 2 ? ["cpu", "memory"] : Object.keys(ResourcesSchema.shape);
    }
    return Object.keys(TaskSchema.shape);
  }
  if (first === "schedule") return ["cron", "timezone"];
  if (first === "params") return ["default", "description", "pattern"];
  if (first === "notify") return Object.keys(NotifyEntrySchema.shape);
  if (first === "depends_on") {
    return second === "condition" ? ["within_window"] : ["job", "job_id", "condition", "window"];
  }
  return [];
}
