/**
 * The `job_state` table: what outlives a restart about a job itself (today, an
 * enable/disable made through the API).
 *
 * @module
 */

import type { StatementCache } from "./statements.ts";

/** Statements on `job_state` for one connection, prepared on first use. */
export class JobStateTable {
  readonly #cache: StatementCache;

  /** A table whose statements live in `cache`. */
  constructor(cache: StatementCache) {
    this.#cache = cache;
  }

  /** The persisted enable/disable of `jobId`, or null when none was made. */
  enabled(jobId: string): boolean | null {
    const row = this.#cache.get(
      "jobEnabled",
      () => "SELECT enabled FROM job_state WHERE job_id = ?",
    ).get(jobId);
    return row === undefined || row.enabled === null ? null : Number(row.enabled) === 1;
  }

  /** Persists an enable/disable of `jobId`, stamped with the time of the call. */
  setEnabled(jobId: string, enabled: boolean): void {
    this.#cache.get(
      "setJobEnabled",
      () =>
        `INSERT INTO job_state (job_id, enabled, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (job_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
    ).run(jobId, enabled ? 1 : 0, Date.now());
  }
}
