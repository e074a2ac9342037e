/**
 * A database file that runs out of space without a full disk (no root needed): a
 * `SqliteStorage` opened with `maxPageCount` cannot grow the file past that many pages, and
 * SQLite answers SQLITE_FULL as on a full disk. Another connection, without the cap, takes
 * the pages with a `filler` table ({@link FullDb.fill}) and gives them back by deleting it
 * ({@link FullDb.free}): freed pages go to the freelist, where the capped connection reuses
 * them.
 *
 * Needs `--allow-read` and `--allow-write`.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { SqliteStorage, type SqliteStorageOptions } from "../../src/storage/sqlite/mod.ts";

/** A migrated database file whose free space a test controls. */
export class FullDb {
  /** The database file. */
  readonly path: string;

  /** Creates and migrates the database at `path` (nothing else stays open). */
  constructor(path: string) {
    this.path = path;
    new SqliteStorage(path).close();
    this.#with((db) => db.exec("CREATE TABLE IF NOT EXISTS filler (b BLOB)"));
  }

  /** The file's size in pages, as a new connection sees it. */
  pages(): number {
    return this.#with((db) => Number(db.prepare("PRAGMA page_count").get()?.page_count));
  }

  /**
   * Opens the store capped at the file's size plus `headroom` pages: once they are used,
   * every write that needs a new page fails as on a full disk.
   */
  open(headroom = 0, options: SqliteStorageOptions = {}): SqliteStorage {
    return new SqliteStorage(this.path, { ...options, maxPageCount: this.pages() + headroom });
  }

  /**
   * Grows the file with filler until it has at least `pages` pages. Flush a store of this
   * thread first: its open batch holds the write lock, and its commit timer cannot fire while
   * this waits for it.
   */
  fill(pages: number): void {
    this.#with((db) => {
      const insert = db.prepare("INSERT INTO filler VALUES (zeroblob(400))"); // a page each
      const count = db.prepare("PRAGMA page_count");
      while (Number(count.get()?.page_count) < pages) {
        db.exec("BEGIN IMMEDIATE");
        for (let i = 0; i < 50; i++) insert.run();
        db.exec("COMMIT");
      }
    });
  }

  /** Deletes the filler: its pages become free for the capped store. */
  free(): void {
    this.#with((db) => db.exec("DELETE FROM filler"));
  }

  #with<T>(fn: (db: DatabaseSync) => T): T {
    const db = new DatabaseSync(this.path);
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      return fn(db);
    } finally {
      db.close();
    }
  }
}
