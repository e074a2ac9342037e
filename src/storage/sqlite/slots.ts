/**
 * Schedule slots: the slots a job's runs took, read from `runs` through the `runs_slot`
 * index (one run per job and slot).
 *
 * @module
 */

import type { RunRecord } from "../types.ts";
import { numOrNull, RUN_COLS, toRun } from "./rows.ts";
import type { StatementCache } from "./statements.ts";

/** Slot queries on `runs` for one connection, prepared on first use. */
export class SlotsQueries {
  readonly #cache: StatementCache;

  /** Queries whose statements live in `cache`. */
  constructor(cache: StatementCache) {
    this.#cache = cache;
  }

  /** The latest slot of `jobId`, or null. Served by the `runs_slot` index. */
  last(jobId: string): number | null {
    const row = this.#cache.get(
      "lastSlot",
      () =>
        "SELECT MAX(scheduled_for) AS slot FROM runs WHERE job_id = ? AND scheduled_for IS NOT NULL",
    ).get(jobId);
    return row === undefined ? null : numOrNull(row.slot);
  }

  /** Runs of `jobId` that belong to slots, newest slot first, at most `limit`. */
  list(jobId: string, limit: number): RunRecord[] {
    return this.#cache.get(
      "listSlots",
      () =>
        `SELECT ${RUN_COLS} FROM runs INDEXED BY runs_slot WHERE job_id = ? AND scheduled_for IS NOT NULL
            ORDER BY scheduled_for DESC LIMIT ?`,
    ).all(jobId, limit).map(toRun);
  }
}
