/**
 * The JSON body of a webhook notification as zod schemas: its one definition, which
 * `payload.ts` takes its type from and the tests parse sent bodies with. Apart from
 * `payload.ts` so that the scheduler, which sends notifications, never loads zod.
 *
 * Pure data: no I/O.
 *
 * @module
 */

import { z } from "zod";
import { NOTIFY_ON } from "../core/notify.ts";
import { RunStatusSchema, RunTriggerSchema, TaskStatusSchema } from "../core/status_schemas.ts";

/** One task of the run, as a notification tells it. */
export const NotificationTaskSchema = z.strictObject({
  task_id: z.string(),
  status: TaskStatusSchema,
  exit_code: z.int().nullable(),
  attempts: z.int(),
  error: z.string().nullable(),
});

/** The JSON body of a webhook notification: the finished run and its tasks. */
export const NotificationPayloadSchema = z.strictObject({
  job_id: z.string(),
  job_name: z.string(),
  run_id: z.string().nullable().meta({
    description: "null only for a skipped slot that has no run record",
  }),
  status: RunStatusSchema,
  outcome: z.enum(NOTIFY_ON).meta({ description: "the `on:` value the status counts as" }),
  trigger: RunTriggerSchema.nullable(),
  error: z.string().nullable(),
  reason: z.string().nullable().meta({ description: "why a slot was skipped" }),
  started_at: z.number().nullable().meta({ description: "epoch ms" }),
  ended_at: z.number().meta({ description: "epoch ms" }),
  duration_ms: z.number().nullable(),
  tasks: z.array(NotificationTaskSchema),
});
