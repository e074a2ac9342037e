/**
 * Keyset paging over runs: a page of {@link RunStore.listRuns} with an opaque `next_cursor`
 * that names the page's last run by its sort key (`started_at`, `id`). Unlike paging by
 * `before = started_at`, no run is skipped or repeated when many runs share a start time
 * (40 parallel triggers in one millisecond), and runs inserted meanwhile do not shift
 * later pages.
 *
 * A cursor is base64url JSON `[started_at, id]`: opaque to clients, who pass it back as
 * they got it, and cheap to check. It carries no filter, so it is only meaningful with the
 * same `job_id` and `status` as the page that issued it.
 *
 * ```ts
 * import { InMemoryStorage } from "./memory.ts";
 * import { decodeRunCursor, listRunPage } from "./run_page.ts";
 *
 * const storage = new InMemoryStorage();
 * let page = listRunPage(storage, { limit: 20 });
 * while (page.next_cursor !== null) {
 *   // A client sends next_cursor back; the edge (API, CLI) decodes it.
 *   page = listRunPage(storage, { limit: 20, after: decodeRunCursor(page.next_cursor) });
 * }
 * ```
 *
 * @module
 */

import { DEFAULT_RUN_LIMIT, type RunQuery, type RunRecord, type RunStore } from "./types.ts";

/** The sort key of a run, which a cursor encodes. */
export type RunKey = Pick<RunRecord, "started_at" | "id">;

/** A cursor that {@link encodeRunCursor} did not make, or that was altered. */
export class InvalidCursorError extends Error {
  /** What is wrong with it, without the cursor (for `field: reason` messages). */
  readonly reason: string;

  /** Builds the error; `reason` says what is wrong. */
  constructor(reason: string, options?: ErrorOptions) {
    super(`invalid cursor: ${reason}`, options);
    this.name = "InvalidCursorError";
    this.reason = reason;
  }
}

/** One page of runs, newest first. */
export interface RunPage {
  /** The runs of this page. */
  runs: RunRecord[];
  /** Pass it back as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

/** The cursor of the page that follows `run`. */
export function encodeRunCursor(run: RunKey): string {
  const bytes = new TextEncoder().encode(JSON.stringify([run.started_at, run.id]));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The run key in a cursor; throws {@link InvalidCursorError} saying what is wrong. */
export function decodeRunCursor(cursor: string): RunKey {
  const again = "pass next_cursor from the previous page unchanged";
  if (cursor.length === 0) throw new InvalidCursorError(`empty (${again})`);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || cursor.length % 4 === 1) {
    throw new InvalidCursorError(`not base64url text (${again})`);
  }
  let key: unknown;
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    key = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new InvalidCursorError(`not a run position (${again})`, { cause: err });
  }
  if (
    !Array.isArray(key) || key.length !== 2 ||
    typeof key[0] !== "number" || !Number.isFinite(key[0]) ||
    typeof key[1] !== "string" || key[1] === ""
  ) {
    throw new InvalidCursorError(`not a run position (${again})`);
  }
  return { started_at: key[0], id: key[1] };
}

/**
 * A page of `storage.listRuns(query)` and the cursor of the next one. Asks the store for
 * one run more than `limit`, so the last page says so (`next_cursor: null`) instead of
 * leading to an empty one.
 */
export function listRunPage(storage: Pick<RunStore, "listRuns">, query: RunQuery = {}): RunPage {
  const limit = Math.max(0, Math.floor(query.limit ?? DEFAULT_RUN_LIMIT));
  const runs = storage.listRuns({ ...query, limit: limit + 1 });
  if (runs.length <= limit || limit === 0) return { runs: runs.slice(0, limit), next_cursor: null };
  runs.length = limit;
  return { runs, next_cursor: encodeRunCursor(runs[limit - 1]) };
}
