/**
 * Prepared statements built on first use and kept: for SQL that depends on the call's
 * shape (the fields of a patch, the filters of a query), or that only some callers need.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";

/** One connection's statements by key; `sql` runs only the first time a key is asked for. */
export class StatementCache {
  readonly #db: DatabaseSync;
  readonly #byKey = new Map<string, StatementSync>();

  /** A cache over `db`'s statements. */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The statement for `key`, prepared from `sql()` if this is the first time. */
  get(key: string, sql: () => string): StatementSync {
    let stmt = this.#byKey.get(key);
    if (!stmt) this.#byKey.set(key, stmt = this.#db.prepare(sql()));
    return stmt;
  }
}
