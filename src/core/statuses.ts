/**
 * The enums Petit stores, serves and prints, each defined once: run statuses, task statuses
 * and run triggers. Each is one list of values; its type is made from that list here, and its
 * zod enum (for validators and the OpenAPI document) in `status_schemas.ts`. Storage, the
 * views, the API's route table and the CLI import them from these two modules.
 *
 * No zod here: the scheduler, the runner and storage import this module, and zod alone is
 * ~9 MiB of RSS in a long-lived `pt run` (bench/README.md, issue 11); only the API's routes,
 * the views and the documents need the schemas.
 *
 * The types are `(typeof LIST)[number]` rather than `z.output<typeof Schema>` because
 * `mod.ts` exports them: `deno doc --lint` wants a public type to refer only to public ones,
 * and zod's `output` is not one of ours.
 *
 * Pure data: no I/O, no permissions.
 *
 * @module
 */

/** Every run status: `running` until the run ends one of the other ways. */
export const RUN_STATUSES = [
  "running",
  "completed",
  "failed",
  "interrupted",
  "cancelled",
  "skipped",
] as const;

/** Status of a job run. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Every status of one task within a run. */
export const TASK_STATUSES = [
  "pending",
  "running",
  "completed",
  "failed",
  "skipped",
  "cancelled",
] as const;

/** Status of one task within a run. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * Everything that starts a run: its schedule, `pt trigger`, the API, a retry, or a sub-job task
 * of another run (`parent`).
 */
export const RUN_TRIGGERS = ["schedule", "manual", "api", "retry", "parent"] as const;

/** What started a run. */
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
