/**
 * {@link Storage} on the built-in `node:sqlite`, tuned for SD cards: 512 B pages, WAL,
 * `synchronous=NORMAL`, compact rows and writes grouped into short transactions (see
 * {@link SqliteStorage}). Also home of the schema and its migrations.
 *
 * Needs `--allow-read` and `--allow-write` for a file database (none for `:memory:`).
 *
 * @module
 */

import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";
import { dirname, resolve } from "node:path";
import { InMemoryStorage } from "./memory.ts";
import {
  type AttemptRecord,
  DEFAULT_RUN_LIMIT,
  RUN_PATCH_KEYS,
  type RunQuery,
  type RunRecord,
  type RunStatus,
  type RunTrigger,
  SlotTakenError,
  type Storage,
  type StoredEvent,
  TASK_PATCH_KEYS,
  type TaskRunRecord,
  type TaskStatus,
} from "./types.ts";

export { SlotTakenError };

/** One forward schema step: SQL to execute, or a function for steps SQL alone cannot do. */
export type Migration = string | ((db: DatabaseSync) => void);

/**
 * Schema migrations, oldest first. Migration `i` takes the database from
 * `user_version` i to i + 1 inside one transaction. Only ever append.
 *
 * Children of `runs` reference its integer `rk` rather than the text id: their rows are
 * smaller and, since `rk` grows, new rows land on the last b-tree page instead of a
 * random one (fewer pages rewritten per commit, and per checkpoint).
 */
export const MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE runs (
    rk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    status TEXT NOT NULL,
    trigger TEXT NOT NULL,
    reason TEXT,
    scheduled_for INTEGER,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    duration_ms INTEGER,
    error TEXT,
    retry_of TEXT
  );
  -- No id in these two: entries stay small, so leaves split less often (ties on
  -- started_at are ordered by id in a small sort).
  CREATE INDEX runs_job_started ON runs (job_id, started_at DESC);
  CREATE INDEX runs_started ON runs (started_at DESC);
  -- One run per schedule slot, even across processes.
  CREATE UNIQUE INDEX runs_slot ON runs (job_id, scheduled_for)
    WHERE scheduled_for IS NOT NULL;
  -- Holds only live runs, so runningRuns() does not scan the whole history.
  CREATE INDEX runs_running ON runs (job_id) WHERE status = 'running';

  CREATE TABLE task_runs (
    rk INTEGER NOT NULL REFERENCES runs (rk) ON DELETE CASCADE,
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    duration_ms INTEGER,
    exit_code INTEGER,
    error TEXT,
    pgid INTEGER,
    proc_start TEXT,
    PRIMARY KEY (rk, task_id)
  ) WITHOUT ROWID;

  -- Logs last so the small columns stay on the b-tree page when logs overflow.
  CREATE TABLE attempts (
    rk INTEGER NOT NULL REFERENCES runs (rk) ON DELETE CASCADE,
    task_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    exit_code INTEGER,
    error TEXT,
    stdout_truncated INTEGER NOT NULL,
    stderr_truncated INTEGER NOT NULL,
    stdout_bytes INTEGER NOT NULL,
    stderr_bytes INTEGER NOT NULL,
    stdout TEXT NOT NULL,
    stderr TEXT NOT NULL,
    PRIMARY KEY (rk, task_id, attempt)
  ) WITHOUT ROWID;

  CREATE TABLE outputs (
    rk INTEGER NOT NULL REFERENCES runs (rk) ON DELETE CASCADE,
    task_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (rk, task_id, key)
  ) WITHOUT ROWID;

  -- AUTOINCREMENT: ids are SSE Last-Event-IDs and must never be reused.
  -- folded: bit set = that column's value was also in data and was left out of it.
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    job_id TEXT,
    run_id TEXT,
    task_id TEXT,
    folded INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  `,
  // 2: who executes a run (recovery leaves other live schedulers' runs alone), and
  // enable/disable of jobs made through the API, which outlive restarts.
  `
  ALTER TABLE runs ADD COLUMN owner TEXT;
  CREATE TABLE job_state (
    job_id TEXT PRIMARY KEY,
    enabled INTEGER,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];

/** The schema version this code writes: the number of migrations. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

function userVersion(db: DatabaseSync): number {
  return Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
}

/**
 * Brings `db` up to `migrations.length`, one transaction per step, and returns the
 * resulting version. Safe when several processes open the same new file at once: the
 * version is re-read under the write lock. Throws if the database is newer than the code.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): number {
  const known = migrations.length;
  const tooNew = (v: number) =>
    new Error(`database schema version ${v} is newer than this Petit supports (${known})`);
  let version = userVersion(db);
  if (version > known) throw tooNew(version);
  while (version < known) {
    db.exec("BEGIN IMMEDIATE");
    try {
      version = userVersion(db);
      if (version > known) throw tooNew(version);
      if (version < known) {
        const step = migrations[version];
        if (typeof step === "string") db.exec(step);
        else step(db);
        version++;
        db.exec(`PRAGMA user_version = ${version}`);
      }
      db.exec("COMMIT");
    } catch (err) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw err;
    }
  }
  return version;
}

/**
 * Database page size. Every commit rewrites at least one page per b-tree it touches (a
 * run touches about a dozen), so small pages mean fewer bytes per commit. Measured with
 * bench/storage_io.ts, 512 B writes about 25% less than 1 KiB per run of a 3-task job
 * (and 35% less when every state change is its own commit), and no more for large logs.
 */
export const PAGE_SIZE = 512;

/**
 * Pages in the WAL before it is copied back into the database (SQLite's default is 1000).
 * Pages rewritten by many commits in a row (index leaves, page 1, sqlite_sequence) are
 * copied once per checkpoint, so a longer WAL (~2 MiB) saves ~15% of bytes written.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 4000;

/** Options of {@link SqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * Milliseconds writes may wait in an open transaction before being committed (default
   * 50). `0` commits every write at once.
   */
  batchMs?: number;
  /** How long to wait for another connection's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * Whether a missing database file (and its folder) is created. With `false` the file must
   * exist and the constructor throws otherwise, creating nothing; commands that only read
   * use it. An existing file is still migrated.
   *
   * @default {true}
   */
  create?: boolean;
}

type Row = Record<string, SQLOutputValue>;

const RUN_COLS = "id, job_id, status, trigger, reason, scheduled_for, started_at, ended_at, " +
  "duration_ms, error, retry_of, owner";
const TASK_COLS =
  "task_id, status, attempts, started_at, ended_at, duration_ms, exit_code, error, pgid, proc_start";
const ATTEMPT_COLS = "task_id, attempt, started_at, ended_at, exit_code, error, " +
  "stdout_truncated, stderr_truncated, stdout_bytes, stderr_bytes, stdout, stderr";

const SQLITE_BUSY = 5;
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;

function errcode(err: unknown): number | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" ? code : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** SQLite's primary result code: the low byte of an extended one. */
function isBusy(err: unknown): boolean {
  return ((errcode(err) ?? 0) & 0xff) === SQLITE_BUSY;
}

const str = (v: SQLOutputValue): string => String(v);
const strOrNull = (v: SQLOutputValue): string | null => v === null ? null : String(v);
const num = (v: SQLOutputValue): number => Number(v);
const numOrNull = (v: SQLOutputValue): number | null => v === null ? null : Number(v);

function toRun(r: Row): RunRecord {
  return {
    id: str(r.id),
    job_id: str(r.job_id),
    status: str(r.status) as RunStatus,
    trigger: str(r.trigger) as RunTrigger,
    reason: strOrNull(r.reason),
    scheduled_for: numOrNull(r.scheduled_for),
    started_at: num(r.started_at),
    ended_at: numOrNull(r.ended_at),
    duration_ms: numOrNull(r.duration_ms),
    error: strOrNull(r.error),
    retry_of: strOrNull(r.retry_of),
    owner: strOrNull(r.owner),
  };
}

function toTask(runId: string, r: Row): TaskRunRecord {
  return {
    run_id: runId,
    task_id: str(r.task_id),
    status: str(r.status) as TaskStatus,
    attempts: num(r.attempts),
    started_at: numOrNull(r.started_at),
    ended_at: numOrNull(r.ended_at),
    duration_ms: numOrNull(r.duration_ms),
    exit_code: numOrNull(r.exit_code),
    error: strOrNull(r.error),
    pgid: numOrNull(r.pgid),
    proc_start: strOrNull(r.proc_start),
  };
}

function toAttempt(runId: string, r: Row): AttemptRecord {
  return {
    run_id: runId,
    task_id: str(r.task_id),
    attempt: num(r.attempt),
    started_at: num(r.started_at),
    ended_at: numOrNull(r.ended_at),
    exit_code: numOrNull(r.exit_code),
    error: strOrNull(r.error),
    stdout: str(r.stdout),
    stderr: str(r.stderr),
    stdout_truncated: r.stdout_truncated === 1,
    stderr_truncated: r.stderr_truncated === 1,
    stdout_bytes: num(r.stdout_bytes),
    stderr_bytes: num(r.stderr_bytes),
  };
}

/**
 * Event fields that usually repeat inside `data` (the recorder puts the ids there). Stored
 * once, in their columns: events are most of the bytes written per run.
 */
const FOLDABLE = ["type", "at", "job_id", "run_id", "task_id"] as const;

/** `data` as JSON without the fields equal to their columns, and which ones were left out. */
function foldEvent(event: Omit<StoredEvent, "id">): { folded: number; json: string } {
  let folded = 0;
  const rest: Record<string, unknown> = { ...event.data };
  FOLDABLE.forEach((key, bit) => {
    const value = event[key];
    if (value !== null && value !== undefined && Object.hasOwn(rest, key) && rest[key] === value) {
      folded |= 1 << bit;
      delete rest[key];
    }
  });
  return { folded, json: JSON.stringify(rest) };
}

function toEvent(r: Row): StoredEvent {
  const event: StoredEvent = {
    id: num(r.id),
    type: str(r.type),
    at: num(r.at),
    job_id: strOrNull(r.job_id),
    run_id: strOrNull(r.run_id),
    task_id: strOrNull(r.task_id),
    data: {},
  };
  const folded = num(r.folded);
  FOLDABLE.forEach((key, bit) => {
    if (folded & (1 << bit)) event.data[key] = event[key];
  });
  Object.assign(event.data, JSON.parse(str(r.data)));
  return event;
}

/** The defined, allowed fields of a patch, in a stable order (one statement per key set). */
function patchEntries(
  patch: object,
  allowed: ReadonlySet<string>,
  what: string,
): [string, SQLInputValue][] {
  const entries: [string, SQLInputValue][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!allowed.has(key)) throw new Error(`petit: cannot update ${what} field "${key}"`);
    entries.push([key, value as SQLInputValue]);
  }
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Open instances per database file, so one can commit another's batch (see `#begin`). */
const openByFile = new Map<string, Set<SqliteStorage>>();

/**
 * {@link Storage} in a SQLite file.
 *
 * Writes run at once inside an open `BEGIN IMMEDIATE` transaction that is committed by
 * {@link SqliteStorage.flush}, which happens by itself `batchMs` after the first buffered
 * write, before every read, on `close()` and at process exit. Grouping a run's writes into
 * a few commits is what keeps SD card wear down. Other connections see the writes only
 * once committed, and wait (up to `busyTimeoutMs`) to write meanwhile.
 */
export class SqliteStorage implements Storage {
  readonly #db: DatabaseSync;
  /** Absolute path, or ":memory:". */
  readonly #path: string;
  readonly #batchMs: number;
  readonly #busyTimeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** A background commit failure, reported by the next `flush()`. */
  #flushError: Error | undefined;
  #closed = false;
  readonly #onUnload = () => this.#commitQuietly();

  // Transaction control as prepared statements: reused, and unlike `exec()` their errors
  // carry `errcode` (needed to tell SQLITE_BUSY apart).
  readonly #beginStmt: StatementSync;
  readonly #commitStmt: StatementSync;
  readonly #rollbackStmt: StatementSync;
  readonly #savepoint: StatementSync;
  readonly #rollbackTo: StatementSync;
  readonly #release: StatementSync;
  readonly #insertRun: StatementSync;
  readonly #getRun: StatementSync;
  readonly #rkOf: StatementSync;
  readonly #runningAll: StatementSync;
  readonly #runningOfJob: StatementSync;
  readonly #updateTaskFull: StatementSync;
  readonly #insertTask: StatementSync;
  readonly #nextSeqOf: StatementSync;
  readonly #listTasks: StatementSync;
  readonly #upsertAttempt: StatementSync;
  readonly #listAttemptsAll: StatementSync;
  readonly #listAttemptsOfTask: StatementSync;
  readonly #deleteOutputs: StatementSync;
  readonly #insertOutput: StatementSync;
  readonly #getOutputs: StatementSync;
  readonly #appendEvent: StatementSync;
  readonly #eventsAfter: StatementSync;
  readonly #prune: StatementSync;
  /**
   * Next task seq per run (rk), so inserting n tasks is not O(n²). Only runs being written
   * live here. Were another connection to add tasks to the same run meanwhile, the worst
   * case is two tasks sharing a seq (an ordering tie), never a lost row.
   */
  readonly #seqs = new Map<number, number>();
  /** Statements whose SQL depends on the call's shape, built once per shape. */
  readonly #dynamic = new Map<string, StatementSync>();

  /**
   * Opens (creating if needed, with its parent directory, unless `create` is false) the
   * database at `path`, or a private in-memory one for `":memory:"`, and migrates it to
   * {@link SCHEMA_VERSION}.
   */
  constructor(path: string, options: SqliteStorageOptions = {}) {
    this.#path = path === ":memory:" ? path : resolve(path);
    this.#batchMs = Math.max(0, options.batchMs ?? 200);
    this.#busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
    const create = options.create ?? true;
    if (this.#path !== ":memory:" && create) {
      Deno.mkdirSync(dirname(this.#path), { recursive: true });
    }
    const db = this.#path === ":memory:" || create
      ? new DatabaseSync(this.#path)
      : openExisting(this.#path);
    this.#db = db;
    try {
      db.exec(`PRAGMA busy_timeout = ${this.#busyTimeoutMs}`);
      // Only takes effect while the file is empty, so before anything else.
      db.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
      if (this.#path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
      // WAL + NORMAL: no fsync per commit; a power cut may lose the last commits, never
      // corrupt the file.
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = ON");
      db.exec("PRAGMA temp_store = MEMORY");
      db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      migrate(db);

      this.#beginStmt = db.prepare("BEGIN IMMEDIATE");
      this.#commitStmt = db.prepare("COMMIT");
      this.#rollbackStmt = db.prepare("ROLLBACK");
      this.#savepoint = db.prepare("SAVEPOINT petit_step");
      this.#rollbackTo = db.prepare("ROLLBACK TO petit_step");
      this.#release = db.prepare("RELEASE petit_step");

      this.#insertRun = db.prepare(
        `INSERT INTO runs (${RUN_COLS}) VALUES (:id, :job_id, :status, :trigger, :reason,
          :scheduled_for, :started_at, :ended_at, :duration_ms, :error, :retry_of, :owner)`,
      );
      this.#getRun = db.prepare(`SELECT ${RUN_COLS} FROM runs WHERE id = ?`);
      this.#rkOf = db.prepare("SELECT rk FROM runs WHERE id = ?");
      // Without statistics the planner would walk a job's whole history instead.
      this.#runningAll = db.prepare(
        `SELECT ${RUN_COLS} FROM runs INDEXED BY runs_running WHERE status = 'running'
          ORDER BY started_at DESC, id DESC`,
      );
      this.#runningOfJob = db.prepare(
        `SELECT ${RUN_COLS} FROM runs INDEXED BY runs_running
          WHERE status = 'running' AND job_id = ? ORDER BY started_at DESC, id DESC`,
      );
      this.#updateTaskFull = db.prepare(
        `UPDATE task_runs SET status = :status, attempts = :attempts, started_at = :started_at,
          ended_at = :ended_at, duration_ms = :duration_ms, exit_code = :exit_code,
          error = :error, pgid = :pgid, proc_start = :proc_start
          WHERE rk = :rk AND task_id = :task_id`,
      );
      this.#insertTask = db.prepare(
        `INSERT INTO task_runs (rk, seq, ${TASK_COLS}) VALUES (:rk, :seq, :task_id, :status,
          :attempts, :started_at, :ended_at, :duration_ms, :exit_code, :error, :pgid,
          :proc_start)`,
      );
      this.#nextSeqOf = db.prepare(
        "SELECT coalesce(max(seq) + 1, 0) AS seq FROM task_runs WHERE rk = ?",
      );
      this.#listTasks = db.prepare(
        `SELECT ${TASK_COLS} FROM task_runs WHERE rk = ? ORDER BY seq`,
      );
      this.#upsertAttempt = db.prepare(
        `INSERT INTO attempts (rk, ${ATTEMPT_COLS}) VALUES (:rk, :task_id, :attempt,
          :started_at, :ended_at, :exit_code, :error, :stdout_truncated, :stderr_truncated,
          :stdout_bytes, :stderr_bytes, :stdout, :stderr)
        ON CONFLICT (rk, task_id, attempt) DO UPDATE SET started_at = excluded.started_at,
          ended_at = excluded.ended_at, exit_code = excluded.exit_code, error = excluded.error,
          stdout_truncated = excluded.stdout_truncated,
          stderr_truncated = excluded.stderr_truncated, stdout_bytes = excluded.stdout_bytes,
          stderr_bytes = excluded.stderr_bytes, stdout = excluded.stdout,
          stderr = excluded.stderr`,
      );
      this.#listAttemptsAll = db.prepare(
        `SELECT ${ATTEMPT_COLS} FROM attempts WHERE rk = ?
          ORDER BY started_at, task_id, attempt`,
      );
      this.#listAttemptsOfTask = db.prepare(
        `SELECT ${ATTEMPT_COLS} FROM attempts WHERE rk = ? AND task_id = ?
          ORDER BY started_at, attempt`,
      );
      this.#deleteOutputs = db.prepare("DELETE FROM outputs WHERE rk = ? AND task_id = ?");
      this.#insertOutput = db.prepare(
        "INSERT INTO outputs (rk, task_id, key, value) VALUES (?, ?, ?, ?)",
      );
      this.#getOutputs = db.prepare(
        "SELECT key, value FROM outputs WHERE rk = ? AND task_id = ? ORDER BY key",
      );
      this.#appendEvent = db.prepare(
        `INSERT INTO events (type, at, job_id, run_id, task_id, folded, data)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      this.#eventsAfter = db.prepare(
        `SELECT id, type, at, job_id, run_id, task_id, folded, data FROM events
          WHERE id > ? ORDER BY id LIMIT ?`,
      );
      // Running runs count towards `keep` but are never deleted (the runner still writes).
      this.#prune = db.prepare(
        `DELETE FROM runs WHERE status <> 'running' AND rk IN (
          SELECT rk FROM runs WHERE job_id = ? ORDER BY started_at DESC, id DESC
          LIMIT -1 OFFSET ?)`,
      );
    } catch (err) {
      db.close();
      throw err;
    }
    if (this.#path !== ":memory:") {
      let peers = openByFile.get(this.#path);
      if (!peers) openByFile.set(this.#path, peers = new Set());
      peers.add(this);
      // Timers are unref'd, so commit what is pending when the process exits normally.
      globalThis.addEventListener("unload", this.#onUnload);
    }
  }

  // ---- transaction plumbing ----

  #assertOpen(): void {
    if (this.#closed) throw new Error(`petit: storage ${this.#path} is closed`);
  }

  #begin(): void {
    // Same thread: waiting on a sibling's lock could never end (its timer cannot fire
    // while we block), so commit siblings' batches first.
    for (const peer of openByFile.get(this.#path) ?? []) {
      if (peer !== this) peer.#commitQuietly();
    }
    try {
      this.#beginStmt.run();
    } catch (err) {
      if (isBusy(err)) {
        throw new Error(
          `petit: database ${this.#path} stayed locked by another writer for over ` +
            `${this.#busyTimeoutMs} ms`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** Runs a write inside the batch transaction and schedules (or does) the commit. */
  #write<T>(fn: () => T): T {
    this.#assertOpen();
    if (!this.#db.isTransaction) this.#begin();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      // A failed statement only undoes itself; without batching nothing else is pending.
      if (this.#batchMs === 0 && this.#db.isTransaction) this.#rollbackStmt.run();
      else this.#schedule();
      throw err;
    }
    if (this.#batchMs === 0) this.#commit();
    else this.#schedule();
    return result;
  }

  /** Runs several statements as one step: all or none of them stay in the batch. */
  #atomically(fn: () => void): void {
    this.#savepoint.run();
    try {
      fn();
    } catch (err) {
      this.#rollbackTo.run();
      this.#release.run();
      throw err;
    }
    this.#release.run();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#commitQuietly();
    }, this.#batchMs);
    Deno.unrefTimer(this.#timer);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Commits the batch, if any. On failure rolls it back and throws. */
  #commit(): void {
    this.#clearTimer();
    if (this.#closed || !this.#db.isTransaction) return;
    try {
      this.#commitStmt.run();
    } catch (err) {
      try {
        if (this.#db.isTransaction) this.#rollbackStmt.run();
      } catch {
        // The commit error below is the one worth reporting.
      }
      throw new Error(
        `petit: could not commit writes to ${this.#path} (they were rolled back): ${message(err)}`,
        { cause: err },
      );
    }
  }

  /** Commit from a timer, a sibling or exit: nobody to throw to, so keep it for `flush()`. */
  #commitQuietly(): void {
    try {
      this.#commit();
    } catch (err) {
      this.#flushError = err instanceof Error ? err : new Error(String(err));
      console.error(message(err));
    }
  }

  /** Commits first, so reads see this instance's writes and never hold a transaction. */
  #read<T>(fn: () => T): T {
    this.#assertOpen();
    this.#commit();
    return fn();
  }

  #statement(key: string, sql: () => string): StatementSync {
    let stmt = this.#dynamic.get(key);
    if (!stmt) this.#dynamic.set(key, stmt = this.#db.prepare(sql()));
    return stmt;
  }

  /** Internal key of a run; throws for unknown runs so child writes fail clearly. */
  #rk(runId: string): number {
    const row = this.#rkOf.get(runId);
    if (!row) throw new Error(`petit: no run ${runId}`);
    return Number(row.rk);
  }

  #nextSeq(rk: number): number {
    let seq = this.#seqs.get(rk);
    if (seq === undefined) {
      seq = Number(this.#nextSeqOf.get(rk)?.seq ?? 0);
      if (this.#seqs.size >= 64) this.#seqs.clear();
    }
    this.#seqs.set(rk, seq + 1);
    return seq;
  }

  #rkOrNull(runId: string): number | null {
    const row = this.#rkOf.get(runId);
    return row ? Number(row.rk) : null;
  }

  // ---- runs ----

  /** See {@link Storage.insertRun}. Throws {@link SlotTakenError} for a taken slot. */
  insertRun(run: RunRecord): void {
    this.#write(() => {
      try {
        this.#insertRun.run({
          id: run.id,
          job_id: run.job_id,
          status: run.status,
          trigger: run.trigger,
          reason: run.reason ?? null,
          scheduled_for: run.scheduled_for ?? null,
          started_at: run.started_at,
          ended_at: run.ended_at ?? null,
          duration_ms: run.duration_ms ?? null,
          error: run.error ?? null,
          retry_of: run.retry_of ?? null,
          owner: run.owner ?? null,
        });
      } catch (err) {
        throw this.#constraintError(err, run.id, run.job_id, run.scheduled_for);
      }
    });
  }

  #constraintError(
    err: unknown,
    id: string,
    jobId: string,
    scheduledFor: number | null | undefined,
  ): unknown {
    const code = errcode(err);
    if (code === SQLITE_CONSTRAINT_UNIQUE && message(err).includes("runs.scheduled_for")) {
      return new SlotTakenError(jobId, scheduledFor ?? NaN, { cause: err });
    }
    if (
      (code === SQLITE_CONSTRAINT_UNIQUE || code === SQLITE_CONSTRAINT_PRIMARYKEY) &&
      message(err).includes("runs.id")
    ) {
      return new Error(`petit: run ${id} already exists`, { cause: err });
    }
    return err;
  }

  /** See {@link Storage.updateRun}. */
  updateRun(id: string, patch: Partial<Omit<RunRecord, "id" | "job_id">>): void {
    const entries = patchEntries(patch, RUN_PATCH_KEYS, "run");
    this.#write(() => {
      if (entries.length === 0) {
        this.#rk(id);
        return;
      }
      const keys = entries.map(([k]) => k);
      const stmt = this.#statement(
        `updateRun:${keys}`,
        () => `UPDATE runs SET ${keys.map((k) => `${k} = :${k}`).join(", ")} WHERE id = :id`,
      );
      let changes: number | bigint;
      try {
        changes = stmt.run({ ...Object.fromEntries(entries), id }).changes;
      } catch (err) {
        const jobId = this.#getRun.get(id)?.job_id ?? "?";
        throw this.#constraintError(err, id, String(jobId), patch.scheduled_for);
      }
      if (Number(changes) === 0) throw new Error(`petit: no run ${id}`);
    });
  }

  /** See {@link Storage.getRun}. */
  getRun(id: string): RunRecord | null {
    return this.#read(() => {
      const row = this.#getRun.get(id);
      return row ? toRun(row) : null;
    });
  }

  /** See {@link Storage.listRuns}. */
  listRuns(query: RunQuery = {}): RunRecord[] {
    return this.#read(() => {
      const where: string[] = [];
      const params: Record<string, SQLInputValue> = {
        limit: Math.max(0, Math.floor(query.limit ?? DEFAULT_RUN_LIMIT)),
      };
      if (query.job_id !== undefined) {
        where.push("job_id = :job_id");
        params.job_id = query.job_id;
      }
      if (query.status !== undefined) {
        where.push("status = :status");
        params.status = query.status;
      }
      if (query.before !== undefined) {
        where.push("started_at < :before");
        params.before = query.before;
      }
      if (query.after !== undefined) {
        // A row value, so the planner still searches runs_started / runs_job_started by
        // range on started_at; only the ties at the boundary are sorted by id (the indexes
        // leave id out to stay small). EXPLAIN QUERY PLAN: SEARCH ... (started_at<?).
        where.push("(started_at, id) < (:after_started_at, :after_id)");
        params.after_started_at = query.after.started_at;
        params.after_id = query.after.id;
      }
      const stmt = this.#statement(
        `listRuns:${where}`,
        () =>
          `SELECT ${RUN_COLS} FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
            ORDER BY started_at DESC, id DESC LIMIT :limit`,
      );
      return stmt.all(params).map(toRun);
    });
  }

  /** See {@link Storage.runningRuns}. */
  runningRuns(jobId?: string): RunRecord[] {
    return this.#read(() =>
      (jobId === undefined ? this.#runningAll.all() : this.#runningOfJob.all(jobId)).map(toRun)
    );
  }

  // ---- task runs ----

  /** See {@link Storage.upsertTaskRun}. */
  upsertTaskRun(task: TaskRunRecord): void {
    this.#write(() => {
      const params = {
        rk: this.#rk(task.run_id),
        task_id: task.task_id,
        status: task.status,
        attempts: task.attempts,
        started_at: task.started_at ?? null,
        ended_at: task.ended_at ?? null,
        duration_ms: task.duration_ms ?? null,
        exit_code: task.exit_code ?? null,
        error: task.error ?? null,
        pgid: task.pgid ?? null,
        proc_start: task.proc_start ?? null,
      };
      // Update first: an existing task keeps its seq (its place in the run).
      if (Number(this.#updateTaskFull.run(params).changes) === 0) {
        this.#insertTask.run({ ...params, seq: this.#nextSeq(params.rk) });
      }
    });
  }

  /** See {@link Storage.updateTaskRun}. */
  updateTaskRun(
    runId: string,
    taskId: string,
    patch: Partial<Omit<TaskRunRecord, "run_id" | "task_id">>,
  ): void {
    const entries = patchEntries(patch, TASK_PATCH_KEYS, "task run");
    const keys = entries.map(([k]) => k);
    this.#write(() => {
      const rk = this.#rk(runId);
      // `SET rk = rk` keeps an empty patch valid SQL while still checking the task exists.
      const sets = keys.length ? keys.map((k) => `${k} = :${k}`).join(", ") : "rk = rk";
      const stmt = this.#statement(
        `updateTaskRun:${keys}`,
        () => `UPDATE task_runs SET ${sets} WHERE rk = :rk AND task_id = :task_id`,
      );
      const { changes } = stmt.run({ ...Object.fromEntries(entries), rk, task_id: taskId });
      if (Number(changes) === 0) throw new Error(`petit: no task ${taskId} in run ${runId}`);
    });
  }

  /** See {@link Storage.listTaskRuns}. */
  listTaskRuns(runId: string): TaskRunRecord[] {
    return this.#read(() => {
      const rk = this.#rkOrNull(runId);
      return rk === null ? [] : this.#listTasks.all(rk).map((r) => toTask(runId, r));
    });
  }

  // ---- attempts ----

  /** See {@link Storage.upsertAttempt}. */
  upsertAttempt(a: AttemptRecord): void {
    this.#write(() => {
      this.#upsertAttempt.run({
        rk: this.#rk(a.run_id),
        task_id: a.task_id,
        attempt: a.attempt,
        started_at: a.started_at,
        ended_at: a.ended_at ?? null,
        exit_code: a.exit_code ?? null,
        error: a.error ?? null,
        stdout_truncated: a.stdout_truncated ? 1 : 0,
        stderr_truncated: a.stderr_truncated ? 1 : 0,
        stdout_bytes: a.stdout_bytes,
        stderr_bytes: a.stderr_bytes,
        stdout: a.stdout,
        stderr: a.stderr,
      });
    });
  }

  /** See {@link Storage.listAttempts}. */
  listAttempts(runId: string, taskId?: string): AttemptRecord[] {
    return this.#read(() => {
      const rk = this.#rkOrNull(runId);
      if (rk === null) return [];
      const rows = taskId === undefined
        ? this.#listAttemptsAll.all(rk)
        : this.#listAttemptsOfTask.all(rk, taskId);
      return rows.map((r) => toAttempt(runId, r));
    });
  }

  // ---- outputs ----

  /** See {@link Storage.setOutputs}. */
  setOutputs(runId: string, taskId: string, outputs: Record<string, string>): void {
    this.#write(() => {
      const rk = this.#rk(runId);
      this.#atomically(() => {
        this.#deleteOutputs.run(rk, taskId);
        for (const [key, value] of Object.entries(outputs)) {
          this.#insertOutput.run(rk, taskId, key, value);
        }
      });
    });
  }

  /** See {@link Storage.getOutputs}. */
  getOutputs(runId: string, taskId: string): Record<string, string> {
    return this.#read(() => {
      const rk = this.#rkOrNull(runId);
      const out: Record<string, string> = {};
      if (rk === null) return out;
      for (const row of this.#getOutputs.all(rk, taskId)) out[str(row.key)] = str(row.value);
      return out;
    });
  }

  // ---- events ----

  /** See {@link Storage.appendEvent}. Returns the new row's id. */
  appendEvent(event: Omit<StoredEvent, "id">): number {
    const { folded, json } = foldEvent(event);
    return this.#write(() =>
      Number(
        this.#appendEvent.run(
          event.type,
          event.at,
          event.job_id ?? null,
          event.run_id ?? null,
          event.task_id ?? null,
          folded,
          json,
        ).lastInsertRowid,
      )
    );
  }

  /** See {@link Storage.eventsAfter}. */
  eventsAfter(afterId: number, limit?: number): StoredEvent[] {
    // LIMIT -1 means no limit in SQLite.
    const max = limit === undefined ? -1 : Math.max(0, Math.floor(limit));
    return this.#read(() => this.#eventsAfter.all(afterId, max).map(toEvent));
  }

  // ---- maintenance ----

  /** See {@link Storage.pruneEvents}. A range on the rowid: no scan. */
  pruneEvents(keep: number): number {
    return this.#write(() =>
      Number(
        this.#statement(
          "pruneEvents",
          () => "DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?",
        ).run(keep).changes,
      )
    );
  }

  /** See {@link Storage.lastSlot}. Served by the `runs_slot` index. */
  lastSlot(jobId: string): number | null {
    return this.#read(() => {
      const row = this.#statement(
        "lastSlot",
        () =>
          "SELECT MAX(scheduled_for) AS slot FROM runs WHERE job_id = ? AND scheduled_for IS NOT NULL",
      ).get(jobId);
      return row === undefined ? null : numOrNull(row.slot);
    });
  }

  /** See {@link Storage.listSlots}. */
  listSlots(jobId: string, limit: number): RunRecord[] {
    return this.#read(() =>
      this.#statement(
        "listSlots",
        () =>
          `SELECT ${RUN_COLS} FROM runs INDEXED BY runs_slot WHERE job_id = ? AND scheduled_for IS NOT NULL
            ORDER BY scheduled_for DESC LIMIT ?`,
      ).all(jobId, limit).map(toRun)
    );
  }

  /** See {@link Storage.jobEnabled}. */
  jobEnabled(jobId: string): boolean | null {
    return this.#read(() => {
      const row = this.#statement(
        "jobEnabled",
        () => "SELECT enabled FROM job_state WHERE job_id = ?",
      )
        .get(jobId);
      return row === undefined || row.enabled === null ? null : Number(row.enabled) === 1;
    });
  }

  /** See {@link Storage.setJobEnabled}. */
  setJobEnabled(jobId: string, enabled: boolean): void {
    this.#write(() => {
      this.#statement(
        "setJobEnabled",
        () =>
          `INSERT INTO job_state (job_id, enabled, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (job_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
      ).run(jobId, enabled ? 1 : 0, Date.now());
    });
  }

  /** See {@link Storage.pruneRuns}. Children go by `ON DELETE CASCADE`. */
  pruneRuns(jobId: string, keep: number): number {
    const offset = Math.max(0, Math.floor(keep));
    // A pruned rk may be handed out again (rowid reuse), so forget cached seqs.
    this.#seqs.clear();
    return this.#write(() => Number(this.#prune.run(jobId, offset).changes));
  }

  /**
   * Commits buffered writes now. Also throws (once) an earlier background commit failure,
   * whose writes were rolled back.
   */
  flush(): void {
    this.#assertOpen();
    this.#commit();
    const pending = this.#flushError;
    this.#flushError = undefined;
    if (pending) throw pending;
  }

  /** Flushes, then closes the database. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    try {
      this.flush();
    } finally {
      this.#clearTimer();
      this.#closed = true;
      const peers = openByFile.get(this.#path);
      peers?.delete(this);
      if (peers?.size === 0) openByFile.delete(this.#path);
      globalThis.removeEventListener("unload", this.#onUnload);
      this.#db.close();
    }
  }
}

/**
 * Opens the database file at `path` only if it exists; throws `Deno.errors.NotFound`
 * otherwise. node:sqlite has no flag against creating, and Deno's permission checks turn a
 * `file:…?mode=rw` URI into a path, so this looks first (a file removed in the instant
 * between the look and the open would be created again, empty). Not `readOnly`: a read-only
 * connection to a WAL database creates its -wal and -shm files and leaves them behind,
 * while the last read-write connection removes them on close.
 */
function openExisting(path: string): DatabaseSync {
  try {
    Deno.statSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    throw new Deno.errors.NotFound(`petit: no database at ${path}`, { cause: err });
  }
  return new DatabaseSync(path);
}

/**
 * Where Petit keeps its database by default: `$XDG_DATA_HOME/petit/petit.db`, else
 * `$HOME/.local/share/petit/petit.db`. `env` defaults to `Deno.env.get`.
 */
export function defaultDbPath(
  env: (k: string) => string | undefined = (k) => Deno.env.get(k),
): string {
  // The XDG spec says to ignore relative values.
  const xdg = env("XDG_DATA_HOME");
  if (xdg?.startsWith("/")) return `${xdg.replace(/\/+$/, "")}/petit/petit.db`;
  const home = env("HOME");
  if (!home) throw new Error("petit: neither XDG_DATA_HOME nor HOME is set; pass a database path");
  return `${home.replace(/\/+$/, "")}/.local/share/petit/petit.db`;
}

/**
 * An {@link InMemoryStorage} for `":memory:"`, else a {@link SqliteStorage} on `path` with
 * `options`.
 */
export function openStorage(path: string, options: SqliteStorageOptions = {}): Storage {
  return path === ":memory:" ? new InMemoryStorage() : new SqliteStorage(path, options);
}
