/**
 * The enums of `statuses.ts` as zod enums, for validators and the generated documents (the
 * OpenAPI document, the views, the notification payload), plus the conditions of tasks and
 * job dependencies. Kept apart from the lists so that the scheduler, the runner and storage
 * never load zod (bench/README.md, issue 11).
 *
 * Pure data: no I/O, no permissions.
 *
 * @module
 */

import { z } from "zod";
import type { JobDependencyCondition, TaskCondition as ModelTaskCondition } from "./model.ts";
import { RUN_STATUSES, RUN_TRIGGERS, TASK_STATUSES } from "./statuses.ts";

/** {@link RUN_STATUSES} as a zod enum, for validators and generated documents. */
export const RunStatusSchema = z.enum(RUN_STATUSES).meta({
  description: "`running` until the run ends; `interrupted` when its process died, " +
    "`skipped` when a schedule slot was not run",
});

/** {@link TASK_STATUSES} as a zod enum. */
export const TaskStatusSchema = z.enum(TASK_STATUSES);

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
