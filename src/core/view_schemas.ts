/**
 * The JSON shapes Petit serves, each defined once as a zod schema: jobs, runs, tasks, logs,
 * health, scheduler state and errors. The view types of `views.ts` are these schemas'
 * outputs; the API's route table (`api/route_table.ts`) names them as response bodies, the
 * OpenAPI document is generated from them, and the API tests parse every JSON answer with
 * them.
 *
 * The objects are strict, so a field a builder adds without declaring it here fails the
 * tests instead of going undocumented. Timestamps are epoch milliseconds. Pure data: no I/O.
 *
 * @module
 */

import { z } from "zod";
import {
  JobDependencyKindSchema,
  RunStatusSchema,
  RunTriggerSchema,
  TaskConditionSchema,
  TaskStatusSchema,
} from "./status_schemas.ts";

const count = z.int().min(0);
const epochMs = z.int().min(0).meta({ description: "epoch milliseconds" });
const maybeMs = z.int().min(0).nullable().meta({ description: "epoch milliseconds, or null" });
const durationMs = z.int().min(0).nullable().meta({
  description: "wall time in milliseconds, or null while running",
});
const exitCode = z.int().nullable().meta({ description: "exit code, or null" });
const failure = z.string().nullable().meta({ description: "why it failed, or null" });

/** A job as listed by `pt list --json` and `GET /api/jobs`. */
export const JobViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  scheduled: z.boolean().meta({ description: "has a schedule and is enabled" }),
  task_count: count,
  schedule: z.string().nullable().meta({ description: "the schedule expression as written" }),
  timezone: z.string().nullable(),
  next_run: z.int().min(0).nullable().meta({
    description: "next fire time (epoch ms), null when not scheduled",
  }),
}).meta({ description: "a loaded job" });

/** `{jobs, count}`: the loaded jobs, in load order. */
export const JobListViewSchema = z.strictObject({ jobs: z.array(JobViewSchema), count });

/** A task of a job as served by `GET /api/jobs/{id}`. */
export const JobTaskViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  depends_on: z.array(z.string()),
  condition: TaskConditionSchema,
});

/** A job dependency as served by `GET /api/jobs/{id}`. */
export const JobDependencyViewSchema = z.strictObject({
  job_id: z.string(),
  condition: JobDependencyKindSchema,
  window_ms: z.int().min(0).nullable().meta({
    description: "for `within_window`: the window in ms; null otherwise",
  }),
});

/** A run as served by `pt runs --json`, `pt show --json` and the API. */
export const RunViewSchema = z.strictObject({
  id: z.string(),
  job_id: z.string(),
  status: RunStatusSchema,
  trigger: RunTriggerSchema,
  started_at: epochMs,
  ended_at: maybeMs,
  duration_ms: durationMs,
  error: failure,
  reason: z.string().nullable().meta({ description: "why the run was skipped or retried" }),
  scheduled_for: z.int().min(0).nullable().meta({
    description: "the schedule slot (epoch ms), or null for manual runs",
  }),
  retry_of: z.string().nullable().meta({ description: "for retries: the run retried" }),
  params: z.record(z.string(), z.string()).meta({
    description: "the params the run was triggered with (defaults filled in); {} when none",
  }),
  parent_run_id: z.string().nullable().meta({
    description: "for runs started by a sub-job task (trigger `parent`): the run of that task",
  }),
}).meta({ description: "one run of a job" });

/** A param of a job as served by `GET /api/jobs/{id}` (`params:` of the job file). */
export const JobParamViewSchema = z.strictObject({
  name: z.string(),
  default: z.string().nullable().meta({
    description: "the value when none is given; null: required for manual runs",
  }),
  description: z.string().nullable(),
  pattern: z.string().nullable().meta({
    description: "regular expression the whole value must match, or null",
  }),
});

/** `GET /api/jobs/{id}`: the listed view plus the last run, tasks, job dependencies, params. */
export const JobDetailViewSchema = JobViewSchema.extend({
  last_run: RunViewSchema.nullable().meta({ description: "the newest run of the job, or null" }),
  tasks: z.array(JobTaskViewSchema),
  depends_on: z.array(JobDependencyViewSchema),
  params: z.array(JobParamViewSchema).meta({
    description: "the params a trigger may give, in file order",
  }),
}).meta({ description: "a job with its last run, tasks, job dependencies and params" });

/** A page of runs as served by `pt runs --json` and the API's run listings. */
export const RunListViewSchema = z.strictObject({
  runs: z.array(RunViewSchema),
  count,
  next_cursor: z.string().nullable().meta({
    description: "opaque; pass it as `cursor` (`--cursor`) for the next page. Null on the last",
  }),
}).meta({ description: "a page of runs, newest first" });

/** A task of a run as served by `pt show --json` and `GET /api/runs/{id}/tasks`. */
export const TaskRunViewSchema = z.strictObject({
  task_id: z.string(),
  run_id: z.string(),
  status: TaskStatusSchema,
  attempts: count.meta({ description: "executions so far (1 = ran once, no retry)" }),
  started_at: maybeMs,
  ended_at: maybeMs,
  duration_ms: durationMs,
  exit_code: exitCode,
  error: failure,
}).meta({ description: "one task of a run" });

/** `{tasks, count}`: the tasks of a run, in job order. */
export const TaskListViewSchema = z.strictObject({ tasks: z.array(TaskRunViewSchema), count });

/** A run with its tasks (`pt show --json`, `GET /api/runs/{id}`). */
export const RunDetailViewSchema = RunViewSchema.extend({ tasks: z.array(TaskRunViewSchema) })
  .meta({ description: "a run with its tasks" });

/** One attempt's logs (`pt logs --json`): the stored attempt. */
export const AttemptLogViewSchema = z.strictObject({
  run_id: z.string(),
  task_id: z.string(),
  attempt: z.int().min(1).meta({ description: "1-based" }),
  started_at: epochMs,
  ended_at: maybeMs,
  exit_code: exitCode,
  error: failure,
  stdout: z.string().meta({ description: "captured standard output (the part kept)" }),
  stderr: z.string().meta({ description: "captured standard error (the part kept)" }),
  stdout_truncated: z.boolean().meta({ description: "more stdout was produced than kept" }),
  stderr_truncated: z.boolean().meta({ description: "more stderr was produced than kept" }),
  stdout_bytes: count.meta({ description: "bytes of stdout produced, kept or not" }),
  stderr_bytes: count.meta({ description: "bytes of stderr produced, kept or not" }),
});

/** `GET /api/runs/{id}/tasks/{task}/logs` as JSON: one attempt and how many there are. */
export const TaskLogsViewSchema = AttemptLogViewSchema.extend({
  attempts: count.meta({ description: "attempts the task has made" }),
  running: z.boolean().meta({
    description: "the attempt is still running: its output so far, read from the capture of " +
      "the process that runs it (`ended_at`, `exit_code` and `error` are null)",
  }),
}).meta({ description: "one attempt's output" });

/** How one attempt ended: the attempt's own outcome (a failed attempt may be retried). */
export const AttemptEndStatusSchema = TaskStatusSchema.extract([
  "completed",
  "failed",
  "cancelled",
]);

/** `event: line` of a followed task log: one line of output. */
export const LogLineEventSchema = z.strictObject({
  stream: z.enum(["stdout", "stderr"]),
  line: z.string().meta({
    description: "the line without its newline (lines over 64 KiB are cut there)",
  }),
  attempt: z.int().min(1).meta({ description: "the attempt that printed it (1-based)" }),
}).meta({ description: "one line of a task's output" });

/** `event: end` of a followed task log: an attempt ended. */
export const LogEndEventSchema = z.strictObject({
  attempt: z.int().min(1).meta({ description: "the attempt that ended (1-based)" }),
  status: AttemptEndStatusSchema,
  exit_code: exitCode,
  error: failure,
  dropped_bytes: count.meta({
    description: "bytes of output past the 1 MiB kept per stream: counted, neither kept nor " +
      "streamed (stdout and stderr together)",
  }),
}).meta({ description: "the end of one attempt" });

/** `POST /api/jobs/{id}/trigger`: the run started. */
export const StartedRunViewSchema = z.strictObject({
  run_id: z.string(),
  job_id: z.string(),
  message: z.string(),
});

/** `POST /api/runs/{id}/retry`: the retry run started. */
export const RetryViewSchema = StartedRunViewSchema.extend({
  retry_of: z.string().meta({ description: "the run retried" }),
});

/** `POST /api/runs/{id}/cancel`: cancellation started. */
export const CancelViewSchema = z.strictObject({
  run_id: z.string(),
  cancelled: z.literal(true),
});

/** `GET /api/health`: `{status: "ok", version}`. */
export const HealthViewSchema = z.strictObject({
  status: z.literal("ok"),
  version: z.string().meta({ description: "Petit's version" }),
});

/** The scheduler's state: firing, paused (manual triggers still work), or shutting down. */
export const SchedulerStateSchema = z.enum(["running", "paused", "stopping"]);

/** The scheduler's state as served (`pt status --json`, `GET /api/scheduler/state`). */
export const SchedulerStateViewSchema = z.strictObject({
  state: SchedulerStateSchema,
  is_running: z.boolean(),
  is_paused: z.boolean(),
});

/** Machine-readable error codes, one per HTTP status the API uses. */
export const ErrorCodeSchema = z.enum([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PAYLOAD_TOO_LARGE",
  "TOO_MANY_REQUESTS",
  "INTERNAL_ERROR",
  "UNAVAILABLE",
]);

/** The body of every error response: `{error, code}`. */
export const ErrorBodySchema = z.strictObject({
  error: z.string().meta({ description: "what went wrong, for people" }),
  code: ErrorCodeSchema.meta({ description: "what went wrong, for programs" }),
});

/** `GET /api/jobs/{id}/next` and `pt next --json`: the next fire times of a job. */
export const NextFiresViewSchema = z.strictObject({
  job_id: z.string(),
  next: z.array(epochMs).meta({
    description: "the next fire times of the schedule, in order; empty without a schedule",
  }),
}).meta({ description: "next fire times of a job" });

/** One attempt of a task without its output: times, result and log sizes. */
export const AttemptViewSchema = AttemptLogViewSchema.omit({ stdout: true, stderr: true })
  .meta({
    description: "one attempt of a task, without its output (`ended_at` null while it runs)",
  });

/** `GET /api/runs/{id}/attempts`: the attempts of a run's tasks, oldest first. */
export const AttemptListViewSchema = z.strictObject({
  attempts: z.array(AttemptViewSchema),
  count,
}).meta({ description: "attempts of a run, oldest first" });
