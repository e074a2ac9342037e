/**
 * {@link SqliteStorage}: the {@link Storage} on the built-in `node:sqlite`, tuned for SD
 * cards. It opens and migrates the file, then hands each call to its table's statements
 * inside the group-commit transaction (`batch.ts`).
 *
 * Needs `--allow-read` and `--allow-write` for a file database (none for `:memory:`).
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { resolve } from "node:path";
import {
  type AttemptRecord,
  RUN_PATCH_KEYS,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  type Storage,
  type StoredEvent,
  TASK_PATCH_KEYS,
  type TaskRunPatch,
  type TaskRunRecord,
  type WriteHealth,
} from "../types.ts";
import { AttemptsTable } from "./attempts.ts";
import { WriteBatch } from "./batch.ts";
import { MEMORY_PATH, openDatabase, tune } from "./connection.ts";
import { EventsTable, foldEvent } from "./events.ts";
import { JobStateTable } from "./job_state.ts";
import { migrate } from "./migrations.ts";
import { OutputsTable } from "./outputs.ts";
import { patchEntries } from "./rows.ts";
import { RunsTable } from "./runs.ts";
import { SlotsQueries } from "./slots.ts";
import { StatementCache } from "./statements.ts";
import { TasksTable } from "./tasks.ts";

/**
 * Milliseconds writes wait in the open transaction before being committed, unless
 * {@link SqliteStorageOptions.batchMs} says otherwise.
 *
 * @default 200
 */
export const DEFAULT_BATCH_MS = 200;

/**
 * Milliseconds a write waits for another connection's write lock, unless
 * {@link SqliteStorageOptions.busyTimeoutMs} says otherwise.
 *
 * @default 5000
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Options of {@link SqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * Milliseconds writes may wait in an open transaction before being committed (default
   * {@link DEFAULT_BATCH_MS}). `0` commits every write at once.
   */
  batchMs?: number;
  /**
   * How long to wait for another connection's write lock, in ms (default
   * {@link DEFAULT_BUSY_TIMEOUT_MS}).
   */
  busyTimeoutMs?: number;
  /**
   * Caps the database file at this many pages (`PRAGMA max_page_count`, pages of
   * `PAGE_SIZE` bytes): past it, writes fail as on a full disk and are kept in memory and
   * retried until pages are freed. For tests of the full-disk path.
   */
  maxPageCount?: number;
  /**
   * Whether a missing database file (and its folder) is created. With `false` the file must
   * exist and the constructor throws otherwise, creating nothing; commands that only read
   * use it. An existing file is still migrated.
   *
   * @default {true}
   */
  create?: boolean;
}

/**
 * {@link Storage} in a SQLite file.
 *
 * Writes run at once inside an open `BEGIN IMMEDIATE` transaction that is committed by
 * {@link SqliteStorage.flush}, which happens by itself `batchMs` after the first buffered
 * write, before every read, on `close()` and at process exit. Grouping a run's writes into
 * a few commits is what keeps SD card wear down. Other connections see the writes only
 * once committed, and wait (up to `busyTimeoutMs`) to write meanwhile.
 *
 * When the disk is full, writes are not lost: they are kept in memory and committed once
 * space comes back (`batch.ts`); `flush()` throws `WritesNotCommittedError` meanwhile,
 * and {@link SqliteStorage.watchWrites} tells when it starts and ends.
 */
export class SqliteStorage implements Storage {
  readonly #db: DatabaseSync;
  readonly #batch: WriteBatch;
  readonly #runs: RunsTable;
  readonly #tasks: TasksTable;
  readonly #attempts: AttemptsTable;
  readonly #outputs: OutputsTable;
  readonly #events: EventsTable;
  readonly #slots: SlotsQueries;
  readonly #jobState: JobStateTable;

  /**
   * Opens (creating if needed, with its parent directory, unless `create` is false) the
   * database at `path`, or a private in-memory one for `":memory:"`, and migrates it to
   * the schema this code writes (`SCHEMA_VERSION`, see `migrations.ts`).
   */
  constructor(path: string, options: SqliteStorageOptions = {}) {
    const file = path === MEMORY_PATH ? path : resolve(path);
    const batchMs = Math.max(0, options.batchMs ?? DEFAULT_BATCH_MS);
    const busyTimeoutMs = Math.max(
      0,
      Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS),
    );
    const db = openDatabase(file, options.create ?? true);
    this.#db = db;
    try {
      tune(db, { busyTimeoutMs, file: file !== MEMORY_PATH });
      migrate(db);
      if (options.maxPageCount !== undefined) {
        db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxPageCount))}`);
      }
      const cache = new StatementCache(db);
      this.#runs = new RunsTable(db, cache);
      this.#tasks = new TasksTable(db, cache);
      this.#attempts = new AttemptsTable(db);
      this.#outputs = new OutputsTable(db);
      this.#events = new EventsTable(db, cache);
      this.#slots = new SlotsQueries(cache);
      this.#jobState = new JobStateTable(cache);
      // Last: once built, the batch is committed by siblings and at exit.
      // A rolled-back batch may have handed out task seqs that were never stored.
      const onRollback = () => this.#tasks.forgetSeqs();
      this.#batch = new WriteBatch(db, file, { batchMs, busyTimeoutMs, onRollback });
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** See {@link Storage.insertRun}. */
  insertRun(run: RunRecord): void {
    // Copies: a write may be replayed later (see batch.ts), after the caller's objects changed.
    const copy = { ...run };
    this.#batch.write(() => this.#runs.insert(copy), undefined);
  }

  /** See {@link Storage.updateRun}. */
  updateRun(id: string, patch: RunPatch): void {
    const entries = patchEntries(patch, RUN_PATCH_KEYS, "run");
    this.#batch.write(() => this.#runs.update(id, entries, patch.scheduled_for), undefined);
  }

  /** See {@link Storage.getRun}. */
  getRun(id: string): RunRecord | null {
    return this.#batch.read(() => this.#runs.get(id));
  }

  /** See {@link Storage.listRuns}. */
  listRuns(query: RunQuery = {}): RunRecord[] {
    return this.#batch.read(() => this.#runs.list(query));
  }

  /** See {@link Storage.runningRuns}. */
  runningRuns(jobId?: string): RunRecord[] {
    return this.#batch.read(() => this.#runs.running(jobId));
  }

  /** See {@link Storage.pruneRuns}. Children go by `ON DELETE CASCADE`. */
  pruneRuns(jobId: string, keep: number): number {
    // Housekeeping waits while writes fail: the next run's end prunes again.
    if (this.#batch.stalled) return 0;
    const offset = Math.max(0, Math.floor(keep));
    // A pruned rk may be handed out again (rowid reuse), so forget cached seqs.
    this.#tasks.forgetSeqs();
    return this.#batch.write(() => this.#runs.prune(jobId, offset), 0);
  }

  /** See {@link Storage.upsertTaskRun}. */
  upsertTaskRun(task: TaskRunRecord): void {
    const copy = { ...task };
    this.#batch.write(() => this.#tasks.upsert(this.#runs.rk(copy.run_id), copy), undefined);
  }

  /** See {@link Storage.updateTaskRun}. */
  updateTaskRun(runId: string, taskId: string, patch: TaskRunPatch): void {
    const entries = patchEntries(patch, TASK_PATCH_KEYS, "task run");
    this.#batch.write(
      () => this.#tasks.update(this.#runs.rk(runId), runId, taskId, entries),
      undefined,
    );
  }

  /** See {@link Storage.listTaskRuns}. */
  listTaskRuns(runId: string): TaskRunRecord[] {
    return this.#batch.read(() => {
      const rk = this.#runs.rkOrNull(runId);
      return rk === null ? [] : this.#tasks.list(rk, runId);
    });
  }

  /** See {@link Storage.upsertAttempt}. */
  upsertAttempt(a: AttemptRecord): void {
    let copy = { ...a };
    if (this.#batch.overBudget && (copy.stdout !== "" || copy.stderr !== "")) {
      // Over the memory budget of a stall: keep the attempt, not its captured output.
      this.#batch.shed();
      copy = { ...copy, stdout: "", stderr: "", stdout_truncated: true, stderr_truncated: true };
    }
    const bytes = copy.stdout.length + copy.stderr.length;
    this.#batch.write(
      () => this.#attempts.upsert(this.#runs.rk(copy.run_id), copy),
      undefined,
      bytes,
    );
  }

  /** See {@link Storage.listAttempts}. */
  listAttempts(runId: string, taskId?: string): AttemptRecord[] {
    return this.#batch.read(() => {
      const rk = this.#runs.rkOrNull(runId);
      return rk === null ? [] : this.#attempts.list(rk, runId, taskId);
    });
  }

  /** See {@link Storage.setOutputs}. */
  setOutputs(runId: string, taskId: string, outputs: Record<string, string>): void {
    const copy = { ...outputs };
    this.#batch.write(() => {
      const rk = this.#runs.rk(runId);
      this.#batch.atomically(() => this.#outputs.replace(rk, taskId, copy));
    }, undefined);
  }

  /** See {@link Storage.getOutputs}. */
  getOutputs(runId: string, taskId: string): Record<string, string> {
    return this.#batch.read(() => {
      const rk = this.#runs.rkOrNull(runId);
      return rk === null ? {} : this.#outputs.get(rk, taskId);
    });
  }

  /** See {@link Storage.appendEvent}. Returns the new row's id (0 while writes fail). */
  appendEvent(event: Omit<StoredEvent, "id">): number {
    // Events only serve replays to API clients: the first thing a stall over budget sheds.
    if (this.#batch.overBudget) {
      this.#batch.shed();
      return 0;
    }
    const copy = { ...event };
    const folded = foldEvent(copy);
    return this.#batch.write(() => this.#events.append(copy, folded), 0, folded.json.length);
  }

  /** See {@link Storage.eventsAfter}. */
  eventsAfter(afterId: number, limit?: number): StoredEvent[] {
    return this.#batch.read(() => this.#events.after(afterId, limit));
  }

  /** See {@link Storage.pruneEvents}. A range on the rowid: no scan. */
  pruneEvents(keep: number): number {
    if (this.#batch.stalled) return 0;
    return this.#batch.write(() => this.#events.prune(keep), 0);
  }

  /** See {@link Storage.lastSlot}. Served by the `runs_slot` index. */
  lastSlot(jobId: string): number | null {
    return this.#batch.read(() => this.#slots.last(jobId));
  }

  /** See {@link Storage.listSlots}. */
  listSlots(jobId: string, limit: number): RunRecord[] {
    return this.#batch.read(() => this.#slots.list(jobId, limit));
  }

  /** See {@link Storage.jobEnabled}. */
  jobEnabled(jobId: string): boolean | null {
    return this.#batch.read(() => this.#jobState.enabled(jobId));
  }

  /** See {@link Storage.setJobEnabled}. */
  setJobEnabled(jobId: string, enabled: boolean): void {
    this.#batch.write(() => this.#jobState.setEnabled(jobId, enabled), undefined);
  }

  /**
   * Commits buffered writes now. Throws `WritesNotCommittedError` while the disk keeps
   * them out; they stay in memory and are retried (see `batch.ts`).
   */
  flush(): void {
    this.#batch.flush();
  }

  /** See {@link Storage.watchWrites}. */
  watchWrites(listener: (health: WriteHealth) => void): () => void {
    return this.#batch.watch(listener);
  }

  /**
   * Commits what it can, then closes the database: writes a full disk still keeps out are
   * lost (told to `watchWrites` listeners). Calling it again does nothing.
   */
  close(): void {
    if (this.#batch.closed) return;
    try {
      this.#batch.close();
    } finally {
      this.#db.close();
    }
  }
}
