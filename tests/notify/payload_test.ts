import assert from "node:assert/strict";
import { buildPayload, notificationText, notifyOutcome } from "../../src/notify/payload.ts";
import { NotificationPayloadSchema } from "../../src/notify/payload_schema.ts";

const failed = (id: string, exit: number) => ({
  task_id: id,
  status: "failed" as const,
  exit_code: exit,
  attempts: 1,
  error: `exit code ${exit}`,
});

Deno.test("notifyOutcome(): statuses as `on:` values", () => {
  assert.deepEqual(
    (["completed", "failed", "interrupted", "cancelled", "skipped", "running"] as const).map(
      notifyOutcome,
    ),
    ["success", "failure", "failure", "cancelled", "skipped", null],
  );
});

Deno.test("buildPayload(): without a stored run, the event alone", () => {
  const payload = buildPayload(
    {
      type: "job_completed",
      at: 10_000,
      job_id: "j",
      run_id: "r",
      success: false,
      status: "failed",
      duration_ms: 4_000,
      error: "boom",
    },
    "J",
    null,
    [],
  );
  assert.deepEqual(NotificationPayloadSchema.parse(payload), {
    job_id: "j",
    job_name: "J",
    run_id: "r",
    status: "failed",
    outcome: "failure",
    trigger: null,
    error: "boom",
    reason: null,
    started_at: 6_000,
    ended_at: 10_000,
    duration_ms: 4_000,
    tasks: [],
  });
});

Deno.test("notificationText(): title, priority and tags by outcome; failed tasks listed", () => {
  const base = buildPayload(
    {
      type: "job_completed",
      at: 100_000,
      job_id: "etl",
      run_id: "r1",
      success: false,
      status: "failed",
      duration_ms: 65_000,
      error: 'task "a" failed: exit code 1',
    },
    "ETL",
    { trigger: "schedule", started_at: 35_000, reason: null },
    [failed("a", 1), failed("b", 2)],
  );
  assert.deepEqual(notificationText(base), {
    title: "petit: job etl failed",
    message: 'run r1 failed in 1m5s (schedule)\ntask "a" failed: exit code 1\n' +
      "a: failed (exit 1)\nb: failed (exit 2)",
    priority: "high",
    tags: "x",
  });
  const skipped = buildPayload(
    { type: "job_skipped", at: 1, job_id: "etl", run_id: "r2", reason: "overlap" },
    "ETL",
    null,
    [],
  );
  assert.deepEqual(notificationText(skipped), {
    title: "petit: job etl skipped",
    message: "run r2 skipped\nreason: overlap",
    priority: "default",
    tags: "fast_forward",
  });
});
