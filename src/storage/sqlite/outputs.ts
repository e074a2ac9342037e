/**
 * The `outputs` table: the `key=value` outputs of each task. Rows are keyed by the run's
 * `rk` (see `runs.ts`); callers own the transaction.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { str } from "./rows.ts";

/** Statements on `outputs` for one connection. */
export class OutputsTable {
  readonly #delete: StatementSync;
  readonly #insert: StatementSync;
  readonly #get: StatementSync;

  /** Prepares the statements on `db`. */
  constructor(db: DatabaseSync) {
    this.#delete = db.prepare("DELETE FROM outputs WHERE rk = ? AND task_id = ?");
    this.#insert = db.prepare("INSERT INTO outputs (rk, task_id, key, value) VALUES (?, ?, ?, ?)");
    this.#get = db.prepare(
      "SELECT key, value FROM outputs WHERE rk = ? AND task_id = ? ORDER BY key",
    );
  }

  /**
   * Replaces the outputs of task `taskId` of the run `rk`: several statements, so run it
   * atomically (`WriteBatch.atomically`).
   */
  replace(rk: number, taskId: string, outputs: Record<string, string>): void {
    this.#delete.run(rk, taskId);
    for (const [key, value] of Object.entries(outputs)) {
      this.#insert.run(rk, taskId, key, value);
    }
  }

  /** The outputs of task `taskId` of the run `rk` (empty if none). */
  get(rk: number, taskId: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const row of this.#get.all(rk, taskId)) out[str(row.key)] = str(row.value);
    return out;
  }
}
