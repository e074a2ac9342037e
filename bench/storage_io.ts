/**
 * Bytes written to disk per run of a 3-task job, as the runner records it, measured by
 * `write_bytes` of /proc/self/io (WAL, database file and the final checkpoint included).
 *
 * Linux counts `write_bytes` when a page-cache page (4 KiB) becomes dirty, so rewriting a
 * page that is still dirty is free. Two figures are printed:
 * - "burst": runs back to back, as fast as possible (pages stay dirty between runs);
 * - "spaced": the files are synced after every run, as if runs were further apart than
 *   the kernel's writeback interval (~30 s) — the realistic figure for a scheduler.
 * And two commit patterns: "end" (one flush per run, batching everything) and "step"
 * (a flush after each state change, as when every task outlasts `batchMs`).
 *
 * Usage: deno run --allow-read --allow-write --allow-run bench/storage_io.ts [runs=200]
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { SqliteStorage } from "../src/storage/sqlite/mod.ts";
import type { Storage } from "../src/storage/types.ts";

const RUNS = Number(Deno.args[0] ?? 200);
const TASKS = ["extract", "transform", "load"];
const JOB = "nightly-backup";

function writeBytes(): number {
  let io: string;
  try {
    io = Deno.readTextFileSync("/proc/self/io");
  } catch (err) {
    // Deno wants --allow-all for /proc/self; `cat` of our pid needs only --allow-run.
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
    const out = new Deno.Command("cat", { args: [`/proc/${Deno.pid}/io`] }).outputSync();
    io = new TextDecoder().decode(out.stdout);
  }
  const m = io.match(/^write_bytes:\s*(\d+)$/m);
  if (!m) throw new Error("no write_bytes in /proc/self/io");
  return Number(m[1]);
}

/** fdatasync the files so their pages are clean and the next write counts again. */
function syncFiles(path: string): void {
  for (const p of [path, `${path}-wal`]) {
    try {
      using f = Deno.openSync(p, { read: true, write: true });
      f.syncDataSync();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
}

/** Records one run the way the runner and its event recorder do. */
function recordRun(s: Storage, n: number, t0: number, step: () => void): void {
  const runId = crypto.randomUUID();
  let at = t0;
  const event = (type: string, taskId: string | null, extra: Record<string, unknown>) =>
    s.appendEvent({
      type,
      at: ++at,
      job_id: JOB,
      run_id: runId,
      task_id: taskId,
      data: { job_id: JOB, run_id: runId, ...(taskId ? { task_id: taskId } : {}), ...extra },
    });

  s.insertRun({
    id: runId,
    job_id: JOB,
    status: "running",
    trigger: "schedule",
    reason: null,
    scheduled_for: t0,
    started_at: at,
    ended_at: null,
    duration_ms: null,
    error: null,
    retry_of: null,
  });
  for (const taskId of TASKS) {
    s.upsertTaskRun({
      run_id: runId,
      task_id: taskId,
      status: "pending",
      attempts: 0,
      started_at: null,
      ended_at: null,
      duration_ms: null,
      exit_code: null,
      error: null,
      pgid: null,
      proc_start: null,
    });
  }
  event("job_started", null, { trigger: "schedule", task_ids: TASKS, kept_task_ids: [] });
  step();

  for (const taskId of TASKS) {
    const startedAt = ++at;
    s.updateTaskRun(runId, taskId, {
      status: "running",
      attempts: 1,
      started_at: startedAt,
      pgid: 40_000 + n,
      proc_start: "123456789",
    });
    s.upsertAttempt({
      run_id: runId,
      task_id: taskId,
      attempt: 1,
      started_at: startedAt,
      ended_at: null,
      exit_code: null,
      error: null,
      stdout: "",
      stderr: "",
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: 0,
      stderr_bytes: 0,
    });
    event("task_started", taskId, { attempt: 1, pgid: 40_000 + n, proc_start: "123456789" });
    step();

    const stdout = `${taskId}: processed 1234 records in 0.42s, all good\n`; // ~50 bytes
    const endedAt = (at += 420);
    s.upsertAttempt({
      run_id: runId,
      task_id: taskId,
      attempt: 1,
      started_at: startedAt,
      ended_at: endedAt,
      exit_code: 0,
      error: null,
      stdout,
      stderr: "",
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: stdout.length,
      stderr_bytes: 0,
    });
    s.setOutputs(runId, taskId, { count: "1234" });
    s.updateTaskRun(runId, taskId, {
      status: "completed",
      attempts: 1,
      ended_at: endedAt,
      duration_ms: endedAt - startedAt,
      exit_code: 0,
      error: null,
      pgid: null,
      proc_start: null,
    });
    event("task_output", taskId, { key: "count", value: "1234" });
    event("task_completed", taskId, {
      attempts: 1,
      duration_ms: endedAt - startedAt,
      exit_code: 0,
    });
    step();
  }

  s.updateRun(runId, { status: "completed", ended_at: ++at, duration_ms: at - t0, error: null });
  event("job_completed", null, {
    success: true,
    status: "completed",
    duration_ms: at - t0,
  });
  s.flush(); // the runner flushes at the end of every run
}

interface Result {
  perRun: number;
  walBytes: number;
  dbBytes: number;
}

function measure(mode: "end" | "step", spaced: boolean): Result {
  const dir = Deno.makeTempDirSync({ prefix: "petit-bench-" });
  const path = `${dir}/petit.db`;
  try {
    const s = new SqliteStorage(path);
    // Warm-up run so table creation is not charged to the runs.
    recordRun(s, -1, 0, () => {});
    syncFiles(path);
    const before = writeBytes();
    const step = mode === "step" ? () => s.flush() : () => {};
    for (let n = 0; n < RUNS; n++) {
      recordRun(s, n, 60_000 * (n + 1), step);
      if (spaced) syncFiles(path);
    }
    const walBytes = Deno.statSync(`${path}-wal`).size;
    // Copy the WAL into the main file now, so those writes are counted too.
    const raw = new DatabaseSync(path);
    raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    raw.close();
    s.close();
    const after = writeBytes();
    return { perRun: (after - before) / RUNS, walBytes, dbBytes: Deno.statSync(path).size };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Milliseconds to record a 1,000-task DAG (~7 writes per task), committed once. */
function dagMs(tasks: number): number {
  const dir = Deno.makeTempDirSync({ prefix: "petit-bench-" });
  try {
    const s = new SqliteStorage(`${dir}/petit.db`);
    const runId = crypto.randomUUID();
    const t0 = performance.now();
    s.insertRun({
      id: runId,
      job_id: "dag",
      status: "running",
      trigger: "manual",
      reason: null,
      scheduled_for: null,
      started_at: 1,
      ended_at: null,
      duration_ms: null,
      error: null,
      retry_of: null,
    });
    const ids = Array.from({ length: tasks }, (_, i) => `task-${i}`);
    for (const taskId of ids) {
      s.upsertTaskRun({
        run_id: runId,
        task_id: taskId,
        status: "pending",
        attempts: 0,
        started_at: null,
        ended_at: null,
        duration_ms: null,
        exit_code: null,
        error: null,
        pgid: null,
        proc_start: null,
      });
    }
    for (const taskId of ids) {
      const attempt = {
        run_id: runId,
        task_id: taskId,
        attempt: 1,
        started_at: 2,
        ended_at: null,
        exit_code: null,
        error: null,
        stdout: "",
        stderr: "",
        stdout_truncated: false,
        stderr_truncated: false,
        stdout_bytes: 0,
        stderr_bytes: 0,
      };
      s.updateTaskRun(runId, taskId, { status: "running", attempts: 1, started_at: 2 });
      s.upsertAttempt(attempt);
      s.appendEvent({
        type: "task_started",
        at: 2,
        job_id: "dag",
        run_id: runId,
        task_id: taskId,
        data: {},
      });
      s.upsertAttempt({ ...attempt, ended_at: 3, exit_code: 0, stdout: "ok\n", stdout_bytes: 3 });
      s.setOutputs(runId, taskId, { k: "v" });
      s.updateTaskRun(runId, taskId, { status: "completed", ended_at: 3, exit_code: 0 });
      s.appendEvent({
        type: "task_completed",
        at: 3,
        job_id: "dag",
        run_id: runId,
        task_id: taskId,
        data: {},
      });
    }
    s.updateRun(runId, { status: "completed", ended_at: 4 });
    s.flush();
    const ms = performance.now() - t0;
    s.close();
    return ms;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) {
  console.log(`${RUNS} runs of a 3-task job, bytes written per run (/proc/self/io write_bytes):`);
  for (const mode of ["end", "step"] as const) {
    for (const spaced of [false, true]) {
      const r = measure(mode, spaced);
      console.log(
        `  flush ${mode.padEnd(4)} ${spaced ? "spaced" : "burst "}: ${
          (r.perRun / 1024).toFixed(1).padStart(5)
        } KiB/run  (WAL peak ${(r.walBytes / 1024).toFixed(0)} KiB, db ${
          (r.dbBytes / 1024).toFixed(0)
        } KiB)`,
      );
    }
  }
  console.log(`recording a 1,000-task DAG (~7,000 writes): ${dagMs(1000).toFixed(0)} ms`);
}
