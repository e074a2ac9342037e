import assert from "node:assert/strict";
import { InMemoryStorage } from "../../src/storage/memory.ts";
import type { RunRecord, TaskRunRecord } from "../../src/storage/types.ts";
import { DbSource } from "../../src/tui/db_source.ts";
import type { LogUpdate, SourceEvent } from "../../src/tui/source.ts";
import { waitUntil } from "../scenarios/helpers.ts";

function run(id: string, jobId: string, startedAt: number, status: RunRecord["status"]): RunRecord {
  return {
    id,
    job_id: jobId,
    status,
    trigger: "schedule",
    reason: null,
    scheduled_for: null,
    started_at: startedAt,
    ended_at: status === "running" ? null : startedAt + 10,
    duration_ms: status === "running" ? null : 10,
    error: null,
    retry_of: null,
  };
}

function task(runId: string, taskId: string, status: TaskRunRecord["status"]): TaskRunRecord {
  return {
    run_id: runId,
    task_id: taskId,
    status,
    attempts: 1,
    started_at: 1,
    ended_at: null,
    duration_ms: null,
    exit_code: null,
    error: null,
    pgid: null,
    proc_start: null,
  };
}

function event(storage: InMemoryStorage, type: string, runId: string, taskId: string | null) {
  storage.appendEvent({
    type,
    at: Date.now(),
    job_id: "b",
    run_id: runId,
    task_id: taskId,
    data: {},
  });
}

function fixture(): InMemoryStorage {
  const storage = new InMemoryStorage();
  storage.insertRun(run("r1", "b", 100, "completed"));
  storage.insertRun(run("r2", "a", 200, "failed"));
  storage.insertRun(run("r3", "b", 300, "running"));
  storage.upsertTaskRun(task("r3", "count", "running"));
  event(storage, "job_started", "r3", null);
  return storage;
}

Deno.test("DbSource.jobs(): the jobs with runs, by id, each with its newest run", async () => {
  const source = new DbSource(fixture(), "/x.db");
  try {
    const jobs = await source.jobs();
    assert.deepEqual(jobs.map((j) => [j.id, j.job, j.last_run?.id]), [
      ["a", null, "r2"],
      ["b", null, "r3"],
    ]);
    assert.deepEqual((await source.runs("b")).map((r) => r.id), ["r3", "r1"]);
    assert.deepEqual((await source.run("r3"))?.tasks.map((t) => t.task_id), ["count"]);
    assert.equal(await source.run("nope"), null);
    assert.equal(await source.scheduler(), null);
    await assert.rejects(source.trigger(), /trigger needs --remote/);
    await assert.rejects(source.setPaused(), /pause\/resume needs --remote/);
  } finally {
    source.close();
  }
});

Deno.test("DbSource.watch(): events written after it started are told, older ones not", async () => {
  const storage = fixture();
  const source = new DbSource(storage, "/x.db");
  const seen: SourceEvent[] = [];
  const stop = source.watch({ events: (b) => seen.push(...b), connection: () => {} });
  try {
    event(storage, "task_completed", "r3", "count");
    await waitUntil("the event", () => seen.length > 0, 3000);
    assert.deepEqual(seen, [{
      type: "task_completed",
      job_id: "b",
      run_id: "r3",
      task_id: "count",
    }]);
  } finally {
    stop();
    source.close();
  }
});

Deno.test("DbSource.followLogs(): the stored output, read again when the task changes", async () => {
  const storage = fixture();
  const source = new DbSource(storage, "/x.db");
  const updates: LogUpdate[] = [];
  const feed = source.followLogs("r3", "count", (u) => updates.push(u));
  try {
    assert.equal(updates[0].mode, "waiting");
    storage.upsertAttempt({
      run_id: "r3",
      task_id: "count",
      attempt: 1,
      started_at: 1,
      ended_at: 2,
      exit_code: 0,
      error: null,
      stdout: "one\ntwo\n",
      stderr: "warn\n",
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: 8,
      stderr_bytes: 5,
    });
    storage.updateTaskRun("r3", "count", { status: "completed" });
    event(storage, "task_completed", "r3", "count");
    const last = await waitUntil(
      "the output",
      () => updates.find((u) => u.mode === "finished"),
      3000,
    );
    assert.deepEqual(last.lines, [
      { stream: "stdout", text: "one" },
      { stream: "stdout", text: "two" },
      { stream: "stderr", text: "warn" },
    ]);
    assert.equal(last.attempt, 1);
  } finally {
    feed.close();
    source.close();
  }
});
