/**
 * `recordEvents()`: events published on a bus become task runs, attempts, outputs, run
 * results and stored events in an {@link InMemoryStorage}.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EventBus } from "../../src/events/bus.ts";
import type { AttemptLogs, PetitEvent } from "../../src/events/types.ts";
import { InMemoryStorage } from "../../src/storage/memory.ts";
import { recordEvents } from "../../src/storage/recorder.ts";
import { run } from "./backends.ts";

/** What an attempt produced, with `over` applied. */
function logs(over: Partial<AttemptLogs> = {}): AttemptLogs {
  return {
    started_at: 1_100,
    ended_at: 1_200,
    stdout: "out\n",
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 4,
    stderr_bytes: 0,
    outputs: {},
    ...over,
  };
}

const ids = { job_id: "job", run_id: "r1" } as const;

/** A bus recording into a store that holds run `r1` of job `job`. */
function setup(): { bus: EventBus; storage: InMemoryStorage; stop: () => void } {
  const storage = new InMemoryStorage();
  storage.insertRun(run("r1"));
  const bus = new EventBus();
  return { bus, storage, stop: recordEvents(bus, storage) };
}

/** Publishes `job_started` for `tasks`, of which `kept` were carried over. */
function start(bus: EventBus, tasks: string[], kept: string[] = []): void {
  bus.publish({
    type: "job_started",
    at: 1_000,
    ...ids,
    trigger: "manual",
    task_ids: tasks,
    kept_task_ids: kept,
  });
}

Deno.test("recordEvents(): job_started adds every task, pending, in file order", () => {
  const { bus, storage } = setup();
  start(bus, ["b", "a", "c"]);
  const tasks = storage.listTaskRuns("r1");
  assert.deepEqual(tasks.map((t) => [t.task_id, t.status, t.attempts]), [
    ["b", "pending", 0],
    ["a", "pending", 0],
    ["c", "pending", 0],
  ]);
  assert.ok(tasks.every((t) => t.started_at === null && t.ended_at === null));
});

Deno.test("recordEvents(): job_started records kept tasks as completed at the event's time", () => {
  const { bus, storage } = setup();
  start(bus, ["extract", "load"], ["extract"]);
  const [extract, load] = storage.listTaskRuns("r1");
  assert.equal(extract.status, "completed");
  assert.equal(extract.ended_at, 1_000);
  assert.equal(load.status, "pending");
  assert.equal(load.ended_at, null);
});

Deno.test("recordEvents(): task_started marks the task running and opens an attempt", () => {
  const { bus, storage } = setup();
  start(bus, ["a"]);
  bus.publish({
    type: "task_started",
    at: 1_100,
    ...ids,
    task_id: "a",
    attempt: 1,
    pgid: 4242,
    proc_start: "tok",
  });
  const [task] = storage.listTaskRuns("r1");
  assert.equal(task.status, "running");
  assert.equal(task.attempts, 1);
  assert.equal(task.started_at, 1_100);
  assert.equal(task.pgid, 4242);
  assert.equal(task.proc_start, "tok");
  const [attempt] = storage.listAttempts("r1", "a");
  assert.equal(attempt.attempt, 1);
  assert.equal(attempt.started_at, 1_100);
  assert.equal(attempt.ended_at, null);
  assert.equal(attempt.stdout, "");
});

Deno.test("recordEvents(): a retry keeps the task's first start time and closes the failed attempt", () => {
  const { bus, storage } = setup();
  start(bus, ["a"]);
  const started = (attempt: number, at: number): PetitEvent => ({
    type: "task_started",
    at,
    ...ids,
    task_id: "a",
    attempt,
    pgid: 10 + attempt,
    proc_start: null,
  });
  bus.publish(started(1, 1_100));
  bus.publish({
    type: "task_retrying",
    at: 1_200,
    ...ids,
    task_id: "a",
    attempt: 1,
    max: 3,
    delay_ms: 50,
    exit_code: 2,
    error: "exit code 2",
    logs: logs({ stderr: "boom\n", stderr_bytes: 5 }),
  });
  let [task] = storage.listTaskRuns("r1");
  assert.equal(task.exit_code, 2);
  assert.equal(task.error, "exit code 2");
  assert.equal(task.pgid, null, "the failed attempt's group is gone");
  bus.publish(started(2, 1_300));
  [task] = storage.listTaskRuns("r1");
  assert.equal(task.started_at, 1_100);
  assert.equal(task.attempts, 2);
  assert.equal(task.pgid, 12);
  const attempts = storage.listAttempts("r1", "a");
  assert.deepEqual(attempts.map((a) => [a.attempt, a.exit_code, a.error, a.stderr]), [
    [1, 2, "exit code 2", "boom\n"],
    [2, null, null, ""],
  ]);
  assert.equal(attempts[0].ended_at, 1_200);
});

Deno.test("recordEvents(): task_completed stores the attempt's logs and outputs", () => {
  const { bus, storage } = setup();
  start(bus, ["a"]);
  bus.publish({
    type: "task_completed",
    at: 1_250,
    ...ids,
    task_id: "a",
    attempts: 1,
    duration_ms: 150,
    exit_code: 0,
    logs: logs({ stdout_truncated: true, stdout_bytes: 9_000, outputs: { rows: "42" } }),
  });
  const [task] = storage.listTaskRuns("r1");
  assert.equal(task.status, "completed");
  assert.equal(task.ended_at, 1_250);
  assert.equal(task.duration_ms, 150);
  assert.equal(task.exit_code, 0);
  assert.equal(task.error, null);
  const [attempt] = storage.listAttempts("r1", "a");
  assert.equal(attempt.stdout, "out\n");
  assert.equal(attempt.stdout_truncated, true);
  assert.equal(attempt.stdout_bytes, 9_000);
  assert.equal(attempt.started_at, 1_100, "from the logs, not the event");
  assert.deepEqual(storage.getOutputs("r1", "a"), { rows: "42" });
});

Deno.test("recordEvents(): an attempt without outputs leaves earlier outputs alone", () => {
  const { bus, storage } = setup();
  start(bus, ["a"]);
  storage.setOutputs("r1", "a", { kept: "yes" });
  bus.publish({
    type: "task_completed",
    at: 1_250,
    ...ids,
    task_id: "a",
    attempts: 1,
    duration_ms: 150,
    exit_code: 0,
    logs: logs(),
  });
  assert.deepEqual(storage.getOutputs("r1", "a"), { kept: "yes" });
});

Deno.test("recordEvents(): task_failed records the error, with or without logs", () => {
  const { bus, storage } = setup();
  start(bus, ["ran", "never"]);
  bus.publish({
    type: "task_failed",
    at: 1_300,
    ...ids,
    task_id: "ran",
    attempts: 2,
    duration_ms: 200,
    exit_code: 1,
    error: "exit code 1",
    stderr_tail: "",
    logs: logs(),
  });
  bus.publish({
    type: "task_failed",
    at: 1_300,
    ...ids,
    task_id: "never",
    attempts: 0,
    duration_ms: 0,
    exit_code: null,
    error: "program not found",
    stderr_tail: "",
    logs: null,
  });
  const [ran, never] = storage.listTaskRuns("r1");
  assert.deepEqual([ran.status, ran.attempts, ran.exit_code, ran.error], [
    "failed",
    2,
    1,
    "exit code 1",
  ]);
  assert.deepEqual([never.status, never.error], ["failed", "program not found"]);
  assert.equal(storage.listAttempts("r1", "ran")[0].attempt, 2, "numbered by attempts made");
  assert.deepEqual(storage.listAttempts("r1", "never"), [], "no attempt without logs");
});

Deno.test("recordEvents(): task_cancelled records a cancelled task without exit code or duration", () => {
  const { bus, storage } = setup();
  start(bus, ["a"]);
  bus.publish({
    type: "task_started",
    at: 1_100,
    ...ids,
    task_id: "a",
    attempt: 1,
    pgid: 77,
    proc_start: "tok",
  });
  bus.publish({
    type: "task_cancelled",
    at: 1_400,
    ...ids,
    task_id: "a",
    attempts: 1,
    logs: logs({ ended_at: 1_400 }),
  });
  const [task] = storage.listTaskRuns("r1");
  assert.equal(task.status, "cancelled");
  assert.equal(task.error, "cancelled");
  assert.equal(task.exit_code, null);
  assert.equal(task.duration_ms, null);
  assert.equal(task.ended_at, 1_400);
  assert.equal(task.pgid, null);
  assert.equal(task.proc_start, null);
  const [attempt] = storage.listAttempts("r1", "a");
  assert.equal(attempt.error, "cancelled");
  assert.equal(attempt.ended_at, 1_400);
});

Deno.test("recordEvents(): task_skipped records the reason as the task's error", () => {
  const { bus, storage } = setup();
  start(bus, ["a"]);
  bus.publish({
    type: "task_skipped",
    at: 1_050,
    ...ids,
    task_id: "a",
    reason: "upstream failed",
  });
  const [task] = storage.listTaskRuns("r1");
  assert.deepEqual([task.status, task.error, task.ended_at], ["skipped", "upstream failed", 1_050]);
});

Deno.test("recordEvents(): job_completed writes the run's result", () => {
  const { bus, storage } = setup();
  bus.publish({
    type: "job_completed",
    at: 2_000,
    ...ids,
    success: false,
    status: "failed",
    duration_ms: 1_000,
    error: "task a failed",
  });
  const r1 = storage.getRun("r1")!;
  assert.equal(r1.status, "failed");
  assert.equal(r1.ended_at, 2_000);
  assert.equal(r1.duration_ms, 1_000);
  assert.equal(r1.error, "task a failed");
});

Deno.test("recordEvents(): stores every event for replay, without its logs", () => {
  const { bus, storage } = setup();
  start(bus, ["a"]);
  bus.publish({
    type: "task_completed",
    at: 1_250,
    ...ids,
    task_id: "a",
    attempts: 1,
    duration_ms: 150,
    exit_code: 0,
    logs: logs({ outputs: { rows: "42" } }),
  });
  bus.publish({ type: "job_skipped", at: 3_000, job_id: "job", run_id: null, reason: "paused" });
  bus.publish({ type: "scheduler_paused", at: 4_000 });
  const events = storage.eventsAfter(0);
  assert.deepEqual(
    events.map((e) => [e.type, e.at, e.job_id, e.run_id, e.task_id]),
    [
      ["job_started", 1_000, "job", "r1", null],
      ["task_completed", 1_250, "job", "r1", "a"],
      ["job_skipped", 3_000, "job", null, null],
      ["scheduler_paused", 4_000, null, null, null],
    ],
  );
  assert.deepEqual(events[1].data, {
    job_id: "job",
    run_id: "r1",
    task_id: "a",
    attempts: 1,
    duration_ms: 150,
    exit_code: 0,
  });
  assert.ok(events.every((e) => !("logs" in e.data) && !("type" in e.data) && !("at" in e.data)));
});

Deno.test("recordEvents(): the returned function stops the recording", () => {
  const { bus, storage, stop } = setup();
  stop();
  start(bus, ["a"]);
  assert.deepEqual(storage.listTaskRuns("r1"), []);
  assert.deepEqual(storage.eventsAfter(0), []);
});
