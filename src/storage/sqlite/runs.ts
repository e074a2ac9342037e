/**
 * The `runs` table: inserting, patching, listing and pruning runs, and the run id → `rk`
 * lookup every child table writes through. Callers own the transaction (see `batch.ts`).
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { RunExistsError, RunNotFoundError, SlotTakenError } from "../errors.ts";
import { DEFAULT_RUN_LIMIT, type RunQuery, type RunRecord } from "../types.ts";
import { isUniqueViolation } from "./codes.ts";
import { paramsColumn, RUN_COLS, toRun } from "./rows.ts";
import type { StatementCache } from "./statements.ts";

/** The storage error a refused write to `runs` means, or `err` itself. */
function constraintError(
  err: unknown,
  id: string,
  jobId: string,
  scheduledFor: number | null | undefined,
): unknown {
  if (isUniqueViolation(err, "runs.scheduled_for")) {
    return new SlotTakenError(jobId, scheduledFor ?? NaN, { cause: err });
  }
  if (isUniqueViolation(err, "runs.id", true)) return new RunExistsError(id, { cause: err });
  return err;
}

/** Statements on `runs` for one connection. */
export class RunsTable {
  readonly #cache: StatementCache;
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #rkOf: StatementSync;
  readonly #runningAll: StatementSync;
  readonly #runningOfJob: StatementSync;
  readonly #prune: StatementSync;

  /** Prepares the statements on `db`; shape-dependent ones go through `cache`. */
  constructor(db: DatabaseSync, cache: StatementCache) {
    this.#cache = cache;
    this.#insert = db.prepare(
      `INSERT INTO runs (${RUN_COLS}) VALUES (:id, :job_id, :status, :trigger, :reason,
          :scheduled_for, :started_at, :ended_at, :duration_ms, :error, :retry_of, :owner,
          :params, :parent_run_id)`,
    );
    this.#get = db.prepare(`SELECT ${RUN_COLS} FROM runs WHERE id = ?`);
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
    // Running runs count towards `keep` but are never deleted (the runner still writes).
    this.#prune = db.prepare(
      `DELETE FROM runs WHERE status <> 'running' AND rk IN (
          SELECT rk FROM runs WHERE job_id = ? ORDER BY started_at DESC, id DESC
          LIMIT -1 OFFSET ?)`,
    );
  }

  /** Internal key of a run; throws {@link RunNotFoundError} so child writes fail clearly. */
  rk(runId: string): number {
    const rk = this.rkOrNull(runId);
    if (rk === null) throw new RunNotFoundError(runId);
    return rk;
  }

  /** Internal key of a run, or null for an unknown one (reads of it find nothing). */
  rkOrNull(runId: string): number | null {
    const row = this.#rkOf.get(runId);
    return row ? Number(row.rk) : null;
  }

  /** Inserts `run`; throws {@link SlotTakenError} or {@link RunExistsError} when refused. */
  insert(run: RunRecord): void {
    try {
      this.#insert.run({
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
        params: paramsColumn(run.params),
        parent_run_id: run.parent_run_id ?? null,
      });
    } catch (err) {
      throw constraintError(err, run.id, run.job_id, run.scheduled_for);
    }
  }

  /**
   * Sets the columns of `entries` (from `patchEntries`) on run `id`. `scheduledFor` is the
   * patch's slot, for the {@link SlotTakenError} a taken one raises. Throws
   * {@link RunNotFoundError} for an unknown id, also with no entries.
   */
  update(id: string, entries: [string, SQLInputValue][], scheduledFor?: number | null): void {
    if (entries.length === 0) {
      this.rk(id);
      return;
    }
    const keys = entries.map(([k]) => k);
    const stmt = this.#cache.get(
      `updateRun:${keys}`,
      () => `UPDATE runs SET ${keys.map((k) => `${k} = :${k}`).join(", ")} WHERE id = :id`,
    );
    let changes: number | bigint;
    try {
      changes = stmt.run({ ...Object.fromEntries(entries), id }).changes;
    } catch (err) {
      const jobId = this.#get.get(id)?.job_id ?? "?";
      throw constraintError(err, id, String(jobId), scheduledFor);
    }
    if (Number(changes) === 0) throw new RunNotFoundError(id);
  }

  /** The run, or null. */
  get(id: string): RunRecord | null {
    const row = this.#get.get(id);
    return row ? toRun(row) : null;
  }

  /** Runs matching `query`, newest first (see `RunStore.listRuns`). */
  list(query: RunQuery): RunRecord[] {
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
    const stmt = this.#cache.get(
      `listRuns:${where}`,
      () =>
        `SELECT ${RUN_COLS} FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
            ORDER BY started_at DESC, id DESC LIMIT :limit`,
    );
    return stmt.all(params).map(toRun);
  }

  /** Running runs, of one job or all, newest first; served by the `runs_running` index. */
  running(jobId?: string): RunRecord[] {
    const rows = jobId === undefined ? this.#runningAll.all() : this.#runningOfJob.all(jobId);
    return rows.map(toRun);
  }

  /** Deletes finished runs of `jobId` past the newest `keep`; children go by cascade. */
  prune(jobId: string, keep: number): number {
    return Number(this.#prune.run(jobId, keep).changes);
  }
}
