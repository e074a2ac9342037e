/**
 * Latency of the HTTP API over a large store: 100,000 runs spread over 20 jobs, each with
 * 3 task runs, in a SQLite file. The API is served on 127.0.0.1 (port 0) and called by a
 * sequential `fetch` client: 200 warm-up requests, then 2,000 measured ones per endpoint
 * (response body read included).
 *
 * Bars: `GET /api/jobs/{id}/runs?limit=50` p99 < 20 ms; `GET /api/runs/{id}/tasks`
 * p99 < 10 ms. Also prints SQLite's query plans of the statements behind them.
 *
 * Run: `deno run --allow-read --allow-write --allow-run --allow-env --allow-net --allow-sys
 * bench/api.ts` (add `--runs N` to change the number of runs).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { startApi } from "../src/api/server.ts";
import { loadJobsDir } from "../src/config/loader/mod.ts";
import { Scheduler } from "../src/scheduler/scheduler.ts";
import { SqliteStorage } from "../src/storage/sqlite/mod.ts";
import type { RunRecord, TaskRunRecord } from "../src/storage/types.ts";

const JOBS = 20;
const TASKS = ["extract", "transform", "load"];
const WARMUP = 200;
const REQUESTS = 2000;
/** Runs written between commits while filling. */
const BATCH = 10_000;

const runsFlag = Deno.args.indexOf("--runs");
const RUNS = runsFlag >= 0 ? Number(Deno.args[runsFlag + 1]) : 100_000;

const jobId = (n: number) => `job-${String(n).padStart(2, "0")}`;
const runId = (n: number) => `run-${String(n).padStart(7, "0")}`;

/** Writes the job files and fills the store through the Storage interface, in big batches. */
function fill(storage: SqliteStorage): void {
  const base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < RUNS; i++) {
    const started = base + i * 60_000;
    const failed = i % 17 === 0;
    const run: RunRecord = {
      id: runId(i),
      job_id: jobId(i % JOBS),
      status: failed ? "failed" : "completed",
      trigger: "schedule",
      reason: null,
      scheduled_for: started,
      started_at: started,
      ended_at: started + 3_000,
      duration_ms: 3_000,
      error: failed ? "task load failed" : null,
      retry_of: null,
    };
    storage.insertRun(run);
    TASKS.forEach((taskId, t) => {
      const task: TaskRunRecord = {
        run_id: run.id,
        task_id: taskId,
        status: failed && t === 2 ? "failed" : "completed",
        attempts: 1,
        started_at: started + t * 1_000,
        ended_at: started + (t + 1) * 1_000,
        duration_ms: 1_000,
        exit_code: failed && t === 2 ? 1 : 0,
        error: failed && t === 2 ? "exit code 1" : null,
        pgid: null,
        proc_start: null,
      };
      storage.upsertTaskRun(task);
    });
    if ((i + 1) % BATCH === 0) storage.flush();
  }
  storage.flush();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

async function measure(
  base: string,
  path: (i: number) => string,
): Promise<{ p50: number; p99: number; max: number }> {
  const one = async (i: number) => {
    const t0 = performance.now();
    const res = await fetch(base + path(i));
    await res.text();
    const took = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${path(i)}: HTTP ${res.status}`);
    return took;
  };
  for (let i = 0; i < WARMUP; i++) await one(i);
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) times.push(await one(WARMUP + i));
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times.at(-1)! };
}

function queryPlans(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const plan = (sql: string) =>
      db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => String(r.detail)).join("; ");
    return [
      `runs of a job: ${
        plan(
          "SELECT * FROM runs WHERE job_id = 'job-01' ORDER BY started_at DESC, id DESC LIMIT 50",
        )
      }`,
      `run by id: ${plan("SELECT rk FROM runs WHERE id = 'run-0000001'")}`,
      `tasks of a run: ${plan("SELECT * FROM task_runs WHERE rk = 1")}`,
    ];
  } finally {
    db.close();
  }
}

const tmp = await Deno.makeTempDir({ prefix: "petit-bench-api-" });
try {
  await Deno.mkdir(`${tmp}/jobs`);
  for (let j = 0; j < JOBS; j++) {
    const tasks = TASKS.map((t, i) =>
      `  - id: ${t}\n    command: "true"\n` + (i ? `    depends_on: [${TASKS[i - 1]}]\n` : "")
    ).join("");
    await Deno.writeTextFile(`${tmp}/jobs/${jobId(j)}.yaml`, `id: ${jobId(j)}\ntasks:\n${tasks}`);
  }
  const loaded = await loadJobsDir(`${tmp}/jobs`);
  if (loaded.errors.length) throw new Error(JSON.stringify(loaded.errors));

  const dbPath = `${tmp}/petit.db`;
  const storage = new SqliteStorage(dbPath, { batchMs: 60_000 });
  const t0 = performance.now();
  fill(storage);
  const fillSecs = (performance.now() - t0) / 1000;
  const size = (await Deno.stat(dbPath)).size;

  const scheduler = new Scheduler(loaded.jobs, { storage });
  const api = await startApi({
    scheduler,
    host: "127.0.0.1",
    port: 0,
    token: null,
    insecure: false,
    cors: null,
  });
  let runsResult, tasksResult;
  try {
    runsResult = await measure(api.url, (i) => `/api/jobs/${jobId(i % JOBS)}/runs?limit=50`);
    // Spread over the whole table, not a hot corner of it.
    const step = 7919; // prime: visits runs all over the table
    tasksResult = await measure(api.url, (i) => `/api/runs/${runId((i * step) % RUNS)}/tasks`);
  } finally {
    await api.close();
    await scheduler.shutdown(0);
    storage.close();
  }

  const row = (name: string, r: { p50: number; p99: number; max: number }, bar: number) =>
    `| \`${name}\` | ${REQUESTS} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${
      r.max.toFixed(2)
    } | < ${bar} | ${r.p99 < bar ? "ok" : "**missed**"} |`;
  console.log(
    `Store: ${RUNS.toLocaleString("en")} runs × ${TASKS.length} tasks over ${JOBS} jobs, ` +
      `${(size / 1e6).toFixed(1)} MB, filled in ${fillSecs.toFixed(1)} s ` +
      `(${Deno.build.target}, Deno ${Deno.version.deno})`,
  );
  console.log("");
  console.log("| endpoint | requests | p50 ms | p99 ms | max ms | p99 bar ms | result |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
  console.log(row("GET /api/jobs/{id}/runs?limit=50", runsResult, 20));
  console.log(row("GET /api/runs/{id}/tasks", tasksResult, 10));
  console.log("");
  console.log("Query plans:");
  for (const line of queryPlans(dbPath)) console.log(`- ${line}`);
  if (runsResult.p99 >= 20 || tasksResult.p99 >= 10) Deno.exitCode = 1;
} finally {
  await Deno.remove(tmp, { recursive: true });
}
