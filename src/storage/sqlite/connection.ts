/**
 * Opening the database file and the pragmas that tune it for SD cards: 512 B pages, WAL,
 * `synchronous=NORMAL` and a long WAL between checkpoints.
 *
 * Needs `--allow-read` and `--allow-write` for a file database (none for `:memory:`).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { dirname } from "node:path";

/** The path of a private in-memory database. */
export const MEMORY_PATH = ":memory:";

/**
 * Database page size. Every commit rewrites at least one page per b-tree it touches (a
 * run touches about a dozen), so small pages mean fewer bytes per commit. Measured with
 * bench/storage_io.ts, 512 B writes about 25% less than 1 KiB per run of a 3-task job
 * (and 35% less when every state change is its own commit), and no more for large logs.
 *
 * @default 512
 */
export const PAGE_SIZE = 512;

/**
 * Pages in the WAL before it is copied back into the database (SQLite's default is 1000).
 * Pages rewritten by many commits in a row (index leaves, page 1, sqlite_sequence) are
 * copied once per checkpoint, so a longer WAL (~2 MiB) saves ~15% of bytes written.
 *
 * @default 4000
 */
export const WAL_AUTOCHECKPOINT_PAGES = 4000;

/**
 * Most memory SQLite's page cache takes, in KiB (SQLite's default is 2,000 KiB). The cache
 * fills up with the pages a long-running scheduler touches and stays full, so this is part of
 * `pt run`'s steady RSS; the pages a run writes and the indexes the API reads stay in the
 * operating system's cache anyway. Measured with bench/issue11.ts (steady load) and
 * bench/api.ts (100,000 runs): see bench/README.md.
 *
 * @default 512
 */
export const CACHE_KIB = 512;

/**
 * Opens the database at `path` (absolute, or {@link MEMORY_PATH}). With `create`, a missing
 * file is created with its parent directory; without, a missing file throws
 * `Deno.errors.NotFound` and nothing is created.
 */
export function openDatabase(path: string, create: boolean): DatabaseSync {
  if (path === MEMORY_PATH) return new DatabaseSync(path);
  if (!create) return openExisting(path);
  Deno.mkdirSync(dirname(path), { recursive: true });
  return new DatabaseSync(path);
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
 * Sets the connection's pragmas; call it before anything else touches the database.
 * `busyTimeoutMs` is how long a write waits for another connection's lock; `file` is false
 * for `:memory:`, which has no WAL.
 */
export function tune(db: DatabaseSync, options: { busyTimeoutMs: number; file: boolean }): void {
  db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs}`);
  // Only takes effect while the file is empty, so before anything else.
  db.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
  if (options.file) db.exec("PRAGMA journal_mode = WAL");
  // WAL + NORMAL: no fsync per commit; a power cut may lose the last commits, never
  // corrupt the file.
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
  db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
}
