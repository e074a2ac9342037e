/**
 * The `task_runs` table: the tasks of each run, kept in the run's order by a `seq` column.
 * Rows are keyed by the run's `rk` (see `runs.ts`); callers own the transaction.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type { TaskRunRecord } from "../types.ts";
import { TASK_COLS, toTask } from "./rows.ts";
import type { StatementCache } from "./statements.ts";

/**
 * Runs whose next task seq is cached before the cache starts over: only runs being written
 * need it, and a scheduler writes a handful at once.
 *
 * @default 64
 */
export const SEQ_CACHE_RUNS = 64;

/** Statements on `task_runs` for one connection. */
export class TasksTable {
  readonly #cache: StatementCache;
  readonly #updateFull: StatementSync;
  readonly #insert: StatementSync;
  readonly #nextSeqOf: StatementSync;
  readonly #list: StatementSync;
  /**
   * Next task seq per run (rk), so inserting n tasks is not O(n²). Only runs being written
   * live here. Were another connection to add tasks to the same run meanwhile, the worst
   * case is two tasks sharing a seq (an ordering tie), never a lost row.
   */
  readonly #seqs = new Map<number, number>();

  /** Prepares the statements on `db`; shape-dependent ones go through `cache`. */
  constructor(db: DatabaseSync, cache: StatementCache) {
    this.#cache = cache;
    this.#updateFull = db.prepare(
      `UPDATE task_runs SET status = :status, attempts = :attempts, started_at = :started_at,
          ended_at = :ended_at, duration_ms = :duration_ms, exit_code = :exit_code,
          error = :error, pgid = :pgid, proc_start = :proc_start
          WHERE rk = :rk AND task_id = :task_id`,
    );
    this.#insert = db.prepare(
      `INSERT INTO task_runs (rk, seq, ${TASK_COLS}) VALUES (:rk, :seq, :task_id, :status,
          :attempts, :started_at, :ended_at, :duration_ms, :exit_code, :error, :pgid,
          :proc_start)`,
    );
    this.#nextSeqOf = db.prepare(
      "SELECT coalesce(max(seq) + 1, 0) AS seq FROM task_runs WHERE rk = ?",
    );
    this.#list = db.prepare(`SELECT ${TASK_COLS} FROM task_runs WHERE rk = ? ORDER BY seq`);
  }

  /** Inserts or replaces `task` in the run `rk`; an existing task keeps its place. */
  upsert(rk: number, task: TaskRunRecord): void {
    const params = {
      rk,
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
    if (Number(this.#updateFull.run(params).changes) === 0) {
      this.#insert.run({ ...params, seq: this.#nextSeq(rk) });
    }
  }

  /**
   * Sets the columns of `entries` (from `patchEntries`) on task `taskId` of the run `rk`
   * (`runId` names it in the error). Throws if the run has no such task.
   */
  update(rk: number, runId: string, taskId: string, entries: [string, SQLInputValue][]): void {
    const keys = entries.map(([k]) => k);
    // `SET rk = rk` keeps an empty patch valid SQL while still checking the task exists.
    const sets = keys.length ? keys.map((k) => `${k} = :${k}`).join(", ") : "rk = rk";
    const stmt = this.#cache.get(
      `updateTaskRun:${keys}`,
      () => `UPDATE task_runs SET ${sets} WHERE rk = :rk AND task_id = :task_id`,
    );
    const { changes } = stmt.run({ ...Object.fromEntries(entries), rk, task_id: taskId });
    if (Number(changes) === 0) throw new Error(`petit: no task ${taskId} in run ${runId}`);
  }

  /** The tasks of the run `rk` (whose id is `runId`), in insertion order. */
  list(rk: number, runId: string): TaskRunRecord[] {
    return this.#list.all(rk).map((r) => toTask(runId, r));
  }

  /** Drops the cached seqs: after pruning, a deleted rk may be handed out again. */
  forgetSeqs(): void {
    this.#seqs.clear();
  }

  #nextSeq(rk: number): number {
    let seq = this.#seqs.get(rk);
    if (seq === undefined) {
      seq = Number(this.#nextSeqOf.get(rk)?.seq ?? 0);
      if (this.#seqs.size >= SEQ_CACHE_RUNS) this.#seqs.clear();
    }
    this.#seqs.set(rk, seq + 1);
    return seq;
  }
}
