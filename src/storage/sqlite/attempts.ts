/**
 * The `attempts` table: each execution of a task with its captured logs. The logs are the
 * last columns, so the small ones stay on the b-tree page when logs overflow. Rows are
 * keyed by the run's `rk` (see `runs.ts`); callers own the transaction.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { AttemptRecord } from "../types.ts";
import { ATTEMPT_COLS, toAttempt } from "./rows.ts";

/** Statements on `attempts` for one connection. */
export class AttemptsTable {
  readonly #upsert: StatementSync;
  readonly #listAll: StatementSync;
  readonly #listOfTask: StatementSync;

  /** Prepares the statements on `db`. */
  constructor(db: DatabaseSync) {
    this.#upsert = db.prepare(
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
    this.#listAll = db.prepare(
      `SELECT ${ATTEMPT_COLS} FROM attempts WHERE rk = ?
          ORDER BY started_at, task_id, attempt`,
    );
    this.#listOfTask = db.prepare(
      `SELECT ${ATTEMPT_COLS} FROM attempts WHERE rk = ? AND task_id = ?
          ORDER BY started_at, attempt`,
    );
  }

  /** Inserts or replaces attempt `a` in the run `rk`. */
  upsert(rk: number, a: AttemptRecord): void {
    this.#upsert.run({
      rk,
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
  }

  /** Attempts of the run `rk` (id `runId`), or of one task of it, oldest first. */
  list(rk: number, runId: string, taskId?: string): AttemptRecord[] {
    const rows = taskId === undefined ? this.#listAll.all(rk) : this.#listOfTask.all(rk, taskId);
    return rows.map((r) => toAttempt(runId, r));
  }
}
