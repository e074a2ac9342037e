/**
 * The schema and its migrations: one append-only list of steps, each tagged with the
 * `PRAGMA user_version` it brings the database to, applied in order by {@link migrate}.
 *
 * A database at version v has had the first v steps applied, exactly as the code before
 * this list had them (a plain array, step `i` taking version i to i + 1): the SQL text is
 * unchanged, so files made by any earlier Petit open and migrate as they always did.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";

/**
 * One forward schema step: it takes the database from `version - 1` to `version`, with
 * SQL to execute, or with a function for steps SQL alone cannot do.
 */
export type Migration =
  | { readonly version: number; readonly sql: string }
  | { readonly version: number; readonly fn: (db: DatabaseSync) => void };

/**
 * Schema migrations, oldest first, versions 1, 2, 3, … Only ever append: a released step
 * is never edited (its SQL is also the table's definition in `sqlite_master`).
 *
 * Children of `runs` reference its integer `rk` rather than the text id: their rows are
 * smaller and, since `rk` grows, new rows land on the last b-tree page instead of a
 * random one (fewer pages rewritten per commit, and per checkpoint).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
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
  },
  // 2: who executes a run (recovery leaves other live schedulers' runs alone), and
  // enable/disable of jobs made through the API, which outlive restarts.
  {
    version: 2,
    sql: `
  ALTER TABLE runs ADD COLUMN owner TEXT;
  CREATE TABLE job_state (
    job_id TEXT PRIMARY KEY,
    enabled INTEGER,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  },
  // 3: the parameters a run was triggered with (JSON object text; NULL is none), and for a
  // run started by a sub-job task, the run of that task.
  {
    version: 3,
    sql: `
  ALTER TABLE runs ADD COLUMN params TEXT;
  ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
  `,
  },
];

/** The schema version this code writes: the version of the last migration. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;

/** A migration list that is not 1, 2, 3, … in order: a mistake in the code, not the file. */
export class MigrationOrderError extends Error {
  /** Where in the list the wrong version is. */
  readonly index: number;

  /** Builds the error for the step at `index`, which has `version`. */
  constructor(index: number, version: number, options?: ErrorOptions) {
    super(`migration ${index} has version ${version}, expected ${index + 1}`, options);
    this.name = "MigrationOrderError";
    this.index = index;
  }
}

/** The database was written by a newer Petit, whose schema this code does not know. */
export class SchemaTooNewError extends Error {
  /** The database's `user_version`. */
  readonly version: number;
  /** The newest version this code knows. */
  readonly known: number;

  /** Builds the error for a database at `version` when the code knows up to `known`. */
  constructor(version: number, known: number, options?: ErrorOptions) {
    super(
      `database schema version ${version} is newer than this Petit supports (${known})`,
      options,
    );
    this.name = "SchemaTooNewError";
    this.version = version;
    this.known = known;
  }
}

function userVersion(db: DatabaseSync): number {
  return Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((step, i) => {
    if (step.version !== i + 1) throw new MigrationOrderError(i, step.version);
  });
}

/**
 * Brings `db` up to the last version of `migrations`, one transaction per step, and returns
 * the resulting version. Safe when several processes open the same new file at once: the
 * version is re-read under the write lock. Throws {@link SchemaTooNewError} if the database
 * is newer than the code, and {@link MigrationOrderError} for a list out of order.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): number {
  checkOrder(migrations);
  const known = migrations.length;
  let version = userVersion(db);
  if (version > known) throw new SchemaTooNewError(version, known);
  while (version < known) {
    db.exec("BEGIN IMMEDIATE");
    try {
      version = userVersion(db);
      if (version > known) throw new SchemaTooNewError(version, known);
      if (version < known) {
        const step = migrations[version];
        if ("sql" in step) db.exec(step.sql);
        else step.fn(db);
        version = step.version;
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
