/**
 * The `events` table, kept for replay to API clients. Events are most of the bytes written
 * per run, so the fields that repeat inside `data` are stored once, in their columns
 * ("folded"), and put back on reading.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { StoredEvent } from "../types.ts";
import { num, type Row, str, strOrNull } from "./rows.ts";
import type { StatementCache } from "./statements.ts";

/**
 * Event fields that usually repeat inside `data` (the recorder puts the ids there). Bit i
 * of the `folded` column stands for `FOLDABLE[i]`: only ever append to this list.
 */
const FOLDABLE = ["type", "at", "job_id", "run_id", "task_id"] as const;

/** `data` as JSON without the fields equal to their columns, and which ones were left out. */
export function foldEvent(event: Omit<StoredEvent, "id">): { folded: number; json: string } {
  let folded = 0;
  const rest: Record<string, unknown> = { ...event.data };
  FOLDABLE.forEach((key, bit) => {
    const value = event[key];
    if (value !== null && value !== undefined && Object.hasOwn(rest, key) && rest[key] === value) {
      folded |= 1 << bit;
      delete rest[key];
    }
  });
  return { folded, json: JSON.stringify(rest) };
}

/** An `events` row as the event it stores, folded fields back in `data`. */
export function toEvent(r: Row): StoredEvent {
  const event: StoredEvent = {
    id: num(r.id),
    type: str(r.type),
    at: num(r.at),
    job_id: strOrNull(r.job_id),
    run_id: strOrNull(r.run_id),
    task_id: strOrNull(r.task_id),
    data: {},
  };
  const folded = num(r.folded);
  FOLDABLE.forEach((key, bit) => {
    if (folded & (1 << bit)) event.data[key] = event[key];
  });
  Object.assign(event.data, JSON.parse(str(r.data)));
  return event;
}

/** Statements on `events` for one connection. */
export class EventsTable {
  readonly #cache: StatementCache;
  readonly #append: StatementSync;
  readonly #after: StatementSync;

  /** Prepares the statements on `db`; the rarely used ones go through `cache`. */
  constructor(db: DatabaseSync, cache: StatementCache) {
    this.#cache = cache;
    this.#append = db.prepare(
      `INSERT INTO events (type, at, job_id, run_id, task_id, folded, data)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#after = db.prepare(
      `SELECT id, type, at, job_id, run_id, task_id, folded, data FROM events
          WHERE id > ? ORDER BY id LIMIT ?`,
    );
  }

  /** Stores `event` as folded by {@link foldEvent}; returns the new row's id. */
  append(event: Omit<StoredEvent, "id">, folded: { folded: number; json: string }): number {
    return Number(
      this.#append.run(
        event.type,
        event.at,
        event.job_id ?? null,
        event.run_id ?? null,
        event.task_id ?? null,
        folded.folded,
        folded.json,
      ).lastInsertRowid,
    );
  }

  /** Events with id > `afterId`, oldest first, at most `limit` (all of them without one). */
  after(afterId: number, limit?: number): StoredEvent[] {
    // LIMIT -1 means no limit in SQLite.
    const max = limit === undefined ? -1 : Math.max(0, Math.floor(limit));
    return this.#after.all(afterId, max).map(toEvent);
  }

  /** Deletes all but the newest `keep` events. A range on the rowid: no scan. */
  prune(keep: number): number {
    return Number(
      this.#cache.get(
        "pruneEvents",
        () => "DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?",
      ).run(keep).changes,
    );
  }
}
