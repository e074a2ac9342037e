/**
 * What the storage tests share: record builders, a temporary SQLite file, and
 * {@link contractTest}, which runs one test over every backend (the contract suite).
 *
 * Needs `--allow-read` and `--allow-write` (temporary files).
 *
 * @module
 */

import { InMemoryStorage } from "../../src/storage/memory.ts";
import { SqliteStorage, type SqliteStorageOptions } from "../../src/storage/sqlite/mod.ts";
import type { AttemptRecord, RunRecord, Storage, TaskRunRecord } from "../../src/storage/types.ts";

/** A running manual run of job `job` started at 1000, with `over` applied. */
export function run(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    job_id: "job",
    status: "running",
    trigger: "manual",
    reason: null,
    scheduled_for: null,
    started_at: 1_000,
    ended_at: null,
    duration_ms: null,
    error: null,
    retry_of: null,
    owner: null,
    params: {},
    parent_run_id: null,
    ...over,
  };
}

/** A pending task of run `runId`, with `over` applied. */
export function task(
  runId: string,
  taskId: string,
  over: Partial<TaskRunRecord> = {},
): TaskRunRecord {
  return {
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
    ...over,
  };
}

/** Attempt `n` of a task, started at 2000 + n, with `over` applied. */
export function attempt(
  runId: string,
  taskId: string,
  n: number,
  over: Partial<AttemptRecord> = {},
): AttemptRecord {
  return {
    run_id: runId,
    task_id: taskId,
    attempt: n,
    started_at: 2_000 + n,
    ended_at: null,
    exit_code: null,
    error: null,
    stdout: "",
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 0,
    stderr_bytes: 0,
    ...over,
  };
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fresh SqliteStorage on a temp file; `done` closes and removes it. */
export async function tempSqlite(
  options?: SqliteStorageOptions,
): Promise<{ storage: SqliteStorage; path: string; dir: string; done: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "petit-storage-" });
  const path = `${dir}/petit.db`;
  const storage = new SqliteStorage(path, options);
  return {
    storage,
    path,
    dir,
    done: async () => {
      storage.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Makes a fresh store and the function that disposes of it. */
type Factory = () => Promise<{ storage: Storage; done: () => Promise<void> }>;

/** Every backend the contract suite runs on, by name. */
export const BACKENDS: readonly [string, Factory][] = [
  ["memory", () => {
    const storage = new InMemoryStorage();
    return Promise.resolve({ storage, done: () => Promise.resolve() });
  }],
  ["sqlite file", () => tempSqlite()],
  ["sqlite file, batchMs 0", () => tempSqlite({ batchMs: 0 })],
  ["sqlite :memory:", () => {
    const storage = new SqliteStorage(":memory:");
    return Promise.resolve({ storage, done: () => Promise.resolve(storage.close()) });
  }],
];

/** Registers `title` once per backend (named `<backend>: <title>`), each on a fresh store. */
export function contractTest(title: string, fn: (s: Storage) => void | Promise<void>): void {
  for (const [name, make] of BACKENDS) {
    Deno.test(`${name}: ${title}`, async () => {
      const { storage, done } = await make();
      try {
        await fn(storage);
      } finally {
        await done();
      }
    });
  }
}
