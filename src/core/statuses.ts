/**
 * The enums Petit stores, serves and prints, each defined once: run statuses, task statuses,
 * run triggers, and the conditions of tasks and job dependencies. Each is one list of values;
 * its zod enum (for validators and the OpenAPI document) and its type are made from that
 * list. Storage, the views, the API's route table and the CLI import them from here.
 *
 * The types are `(typeof LIST)[number]` rather than `z.output<typeof Schema>` because
 * `mod.ts` exports them: `deno doc --lint` wants a public type to refer only to public ones,
 * and zod's `output` is not one of ours.
 *
 * Pure data: no I/O, no permissions.
 *
 * @module
 */

import { z } from "zod";
import type { JobDependencyCondition, TaskCondition as ModelTaskCondition } from "./model.ts";

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

/** {@link RUN_STATUSES} as a zod enum, for validators and generated documents. */
export const RunStatusSchema = z.enum(RUN_STATUSES).meta({
  description: "`running` until the run ends; `interrupted` when its process died, " +
    "`skipped` when a schedule slot was not run",
});

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

/** {@link TASK_STATUSES} as a zod enum. */
export const TaskStatusSchema = z.enum(TASK_STATUSES);

/**
 * Everything that starts a run: its schedule, `pt trigger`, the API, a retry, or a sub-job task
 * of another run (`parent`).
 */
export const RUN_TRIGGERS = ["schedule", "manual", "api", "retry", "parent"] as const;

/** What started a run. */
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** {@link RUN_TRIGGERS} as a zod enum. */
export const RunTriggerSchema = z.enum(RUN_TRIGGERS).meta({
  description: "what started the run: its schedule, `pt trigger`, the API, a retry, or a " +
    "sub-job task of another run (`parent`, see `parent_run_id`)",
});

/** When a task runs, judged on its direct dependencies (`TaskCondition` of the model). */
export const TaskConditionSchema = z.enum(["all_success", "on_failure", "all_done"]);

/** How an upstream job must have run for a dependent job to fire (`kind` of the model's). */
export const JobDependencyKindSchema = z.enum(["last_success", "last_complete", "within_window"]);

/**
 * `true` when `A` and `B` are the same type, else `never`. The model (`model.ts`) declares
 * `TaskCondition` and `JobDependencyCondition` as plain types; the checks below make
 * `deno check` fail if they and the enums above ever differ.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
true satisfies Same<ModelTaskCondition, z.output<typeof TaskConditionSchema>>;
true satisfies Same<JobDependencyCondition["kind"], z.output<typeof JobDependencyKindSchema>>;
