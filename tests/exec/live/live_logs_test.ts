import assert from "node:assert/strict";
import { EventBus } from "../../../src/events/bus.ts";
import type { AttemptLogs } from "../../../src/events/types.ts";
import { DagBuilder, JobBuilder } from "../../../src/core/builders.ts";
import { LiveLogs } from "../../../src/exec/live/mod.ts";
import { executeRun } from "../../../src/exec/runner.ts";

const ids = { job_id: "j", run_id: "r", task_id: "t" };

function logs(stdout: string, bytes = stdout.length): AttemptLogs {
  return {
    started_at: 1,
    ended_at: 2,
    stdout,
    stderr: "",
    stdout_truncated: bytes > stdout.length,
    stderr_truncated: false,
    stdout_bytes: bytes,
    stderr_bytes: 0,
    outputs: {},
  };
}

Deno.test("LiveLogs: an attempt is there from begin until the event that ends it", () => {
  const bus = new EventBus();
  const live = new LiveLogs();
  const stop = live.listen(bus);
  const first = live.begin("r", "t", 1);
  assert.equal(live.get("r", "t"), first);
  assert.equal(live.get("r", "other"), null);
  assert.equal(live.size, 1);
  bus.publish({
    type: "task_retrying",
    at: 5,
    ...ids,
    attempt: 1,
    max: 2,
    delay_ms: 0,
    exit_code: 3,
    error: "exit code 3",
    logs: logs("abc", 10),
  });
  assert.equal(live.get("r", "t"), null);
  assert.deepEqual(first.end, {
    attempt: 1,
    status: "failed",
    exit_code: 3,
    error: "exit code 3",
    dropped_bytes: 7,
  });
  const second = live.begin("r", "t", 2);
  bus.publish({
    type: "task_completed",
    at: 6,
    ...ids,
    attempts: 2,
    duration_ms: 1,
    exit_code: 0,
    logs: logs("ok\n"),
  });
  assert.equal(second.end?.status, "completed");
  assert.equal(live.size, 0);
  stop();
});

Deno.test("LiveLogs: cancelled and failed tasks end their attempt; a run's end drops leftovers", () => {
  const bus = new EventBus();
  const live = new LiveLogs();
  live.listen(bus);
  const a = live.begin("r", "a", 1);
  const b = live.begin("r", "b", 1);
  const c = live.begin("r", "c", 1);
  bus.publish({ type: "task_cancelled", at: 1, ...ids, task_id: "a", attempts: 1, logs: null });
  bus.publish({
    type: "task_failed",
    at: 1,
    ...ids,
    task_id: "b",
    attempts: 1,
    duration_ms: 1,
    exit_code: null,
    error: "timed out after 5 ms",
    stderr_tail: "",
    logs: logs(""),
  });
  assert.deepEqual([a.end?.status, a.end?.error], ["cancelled", "cancelled"]);
  assert.deepEqual([b.end?.status, b.end?.error], ["failed", "timed out after 5 ms"]);
  assert.equal(live.get("r", "c"), c);
  bus.publish({
    type: "job_completed",
    at: 2,
    job_id: "j",
    run_id: "r",
    success: false,
    status: "failed",
    duration_ms: 1,
    error: null,
  });
  assert.equal(c.end?.status, "failed");
  assert.equal(live.size, 0);
});

Deno.test("LiveLogs: a retry event of another attempt leaves the running one alone", () => {
  const bus = new EventBus();
  const live = new LiveLogs();
  live.listen(bus);
  const running = live.begin("r", "t", 2);
  bus.publish({
    type: "task_retrying",
    at: 1,
    ...ids,
    attempt: 1,
    max: 3,
    delay_ms: 0,
    exit_code: 1,
    error: "exit code 1",
    logs: logs(""),
  });
  assert.equal(running.end, null);
  assert.equal(live.get("r", "t"), running);
});

Deno.test("executeRun with live logs: a TypeScript task's lines are readable while it runs", async () => {
  const bus = new EventBus();
  const live = new LiveLogs();
  live.listen(bus);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const dag = new DagBuilder("j", "J").addTask({
    name: "t",
    execute: async (ctx) => {
      ctx.log("before");
      await gate;
      ctx.log("after");
    },
  }).build();
  const job = new JobBuilder("j", "J", dag).build();
  const done = executeRun({ job, runId: "r", trigger: "manual", bus, live });
  const running = await waitFor(() => live.get("r", "t"));
  const reader = running.reader();
  await waitFor(() => reader.read().length === 1 || null);
  assert.equal(running.logs().stdout, "before\n");
  release();
  const result = await done;
  assert.equal(result.status, "completed");
  assert.deepEqual(reader.read().map((l) => l.line), ["after"]);
  assert.equal(running.end?.status, "completed");
  assert.equal(reader.done, true);
  assert.equal(live.size, 0);
});

/** Polls `check` until it returns something other than null (2 s at most). */
async function waitFor<T>(check: () => T | null): Promise<T> {
  for (const end = Date.now() + 2000; Date.now() < end;) {
    const value = check();
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("timed out");
}
