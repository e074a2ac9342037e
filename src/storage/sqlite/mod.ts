/**
 * The `Storage` (`../types.ts`) on the built-in `node:sqlite`, tuned for SD cards: 512 B
 * pages, WAL, `synchronous=NORMAL`, compact rows and writes grouped into short transactions
 * (see {@link SqliteStorage}). Also home of the schema and its migrations.
 *
 * One module per seam: `connection.ts` (opening, tuning pragmas), `migrations.ts` (the
 * append-only schema steps), `batch.ts` (group commit), `rows.ts` (row mapping),
 * `statements.ts` (statements built on first use), `codes.ts` (SQLite result codes), one
 * module per table (`runs.ts`, `tasks.ts`, `attempts.ts`, `outputs.ts`, `events.ts`,
 * `slots.ts`, `job_state.ts`), `storage.ts` (the class that ties them together) and
 * `factory.ts` (default path, choosing the backend).
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteStorage } from "./mod.ts";
 *
 * const storage = new SqliteStorage(":memory:");
 * storage.setJobEnabled("backup", false);
 * assert.equal(storage.jobEnabled("backup"), false);
 * storage.close();
 * ```
 *
 * Needs `--allow-read` and `--allow-write` for a file database (none for `:memory:`).
 *
 * @module
 */

export { PAGE_SIZE, WAL_AUTOCHECKPOINT_PAGES } from "./connection.ts";
export { defaultDbPath, openStorage } from "./factory.ts";
export {
  migrate,
  type Migration,
  MigrationOrderError,
  MIGRATIONS,
  SCHEMA_VERSION,
  SchemaTooNewError,
} from "./migrations.ts";
export {
  DEFAULT_BATCH_MS,
  DEFAULT_BUSY_TIMEOUT_MS,
  SqliteStorage,
  type SqliteStorageOptions,
} from "./storage.ts";
