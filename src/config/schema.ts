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
import { ID_PATTERN } from "../core/model.ts";
import { SCHEDULE_PATTERN } from "../schedule/schedule.ts";

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

const seconds = z.number().positive({ error: "must be greater than zero" });

const scalar = z.union([processText(), z.number(), z.boolean()], {
  error: "must be a string, number or boolean",
});

const envName = z.string().regex(ENV_NAME_PATTERN, {
  error: 'environment variable names must not be empty or contain "=" or a NUL character',
});

const envMap = z.record(envName, scalar, { error: "must be a map of NAME: value" })
  .meta({ description: "Environment variables (values are stringified)" });

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

/** One task of a job. */
export const TaskSchema = z.strictObject({
  id: id("task id").meta({ description: "Task id, unique in the job" }),
  name: z.string().optional(),
  type: z.enum(["command", ...SCRIPT_TYPES]).meta({
    description: "command (default: program + args, no shell), shell (/bin/sh -c script), " +
      "python (python3 script)",
  }).optional(),
  command: processText().min(1, { error: "must not be empty" }).meta({
    description: "Program to run (type: command)",
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
  // The loader's checkTaskKind. ajv's strict mode wants every key a subschema requires named in
  // that subschema's `properties`, hence the `true` entries.
  if: { properties: { type: { enum: SCRIPT_TYPES } }, required: ["type"] },
  then: { properties: { script: true, command: false, args: false }, required: ["script"] },
  else: { properties: { command: true, script: false }, required: ["command"] },
  dependentSchemas: {
    inline: { properties: { type: { const: "python" } }, required: ["type"] },
    timeout: { properties: { timeout_secs: false } },
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
  depends_on: z.array(JobDependencySchema, { error: "must be a list" }).optional(),
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
    return second === "retry" ? Object.keys(RetrySchema.shape) : Object.keys(TaskSchema.shape);
  }
  if (first === "schedule") return ["cron", "timezone"];
  if (first === "depends_on") {
    return second === "condition" ? ["within_window"] : ["job", "job_id", "condition", "window"];
  }
  return [];
}
