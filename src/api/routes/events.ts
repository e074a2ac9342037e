/**
 * `GET /api/events`: server-sent events. Each event carries its stored id, so a client that
 * reconnects with `Last-Event-ID` gets exactly what it missed, replayed from the store.
 *
 * The bus only says "something happened"; the events themselves are read back from the
 * store (the recorder stores each one before the stream hears of it), which is what gives
 * live events their ids. Reads are batched a little so a busy run does not force a commit
 * per event (the store commits before every read).
 *
 * A `Last-Event-ID` the store cannot serve as asked is moved to the nearest point it can:
 * see {@link resumePoint}.
 *
 * @module
 */

import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Storage, StoredEvent } from "../../storage/types.ts";
import { honoPath } from "../contract.ts";
import { type ApiDeps, DEFAULT_HEARTBEAT_MS } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { ROUTES } from "../route_table.ts";
import { query } from "../validation.ts";

/** Delay between a bus notification and reading the new events back. */
const READ_DELAY_MS = 100;
/** Events read from the store at a time. */
const PAGE = 500;

/** The id of the newest stored event (0 when none), found with O(log n) indexed probes. */
export function latestEventId(storage: Storage): number {
  const hasAfter = (id: number) => storage.eventsAfter(id, 1).length > 0;
  if (!hasAfter(0)) return 0;
  let lo = 0; // hasAfter(lo) is true
  let hi = 1;
  while (hasAfter(hi)) {
    lo = hi;
    hi *= 2;
  }
  // hasAfter(lo) && !hasAfter(hi): the newest id is in (lo, hi].
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (hasAfter(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Where a stream resumed from a client's last event id starts, and what the client is told. */
export interface ResumePoint {
  /** The stream sends the stored events with ids above this one. */
  readonly cursor: number;
  /** An SSE comment line (starting with `:`) saying why the stream starts elsewhere, or null. */
  readonly note: string | null;
  /**
   * Whether to set the client's last event id to `cursor` (an `id:` line without data: the
   * client's `EventSource` records the id and dispatches no event).
   */
  readonly resetId: boolean;
}

/**
 * Where to resume for a client whose last event id is `lastId`, given the ids of the oldest
 * and newest stored events (`oldest` null and `newest` 0 when there are none).
 *
 * - Past the newest event: the id comes from an earlier database (deleted, or `--db` changed),
 *   and waiting for it would leave the client silent for good. The stream resumes after the
 *   newest event, without replaying it: it has nothing to do with what the client saw, and a
 *   stale `job_completed` would look new. The client's id is reset to the newest, so that if it
 *   drops before the next event, its next reconnect replays what it missed instead of being
 *   moved past it again.
 * - Before the oldest kept event (the rest were pruned): the stream resumes from the oldest
 *   kept one, and the note says what was lost.
 *
 * An id from an earlier database that is not past the newest event cannot be told apart from
 * a real one: the client gets the events after it.
 */
export function resumePoint(lastId: number, oldest: number | null, newest: number): ResumePoint {
  if (lastId > newest) {
    return {
      cursor: newest,
      note: `: last event id ${lastId} is newer than any stored event (a reset database?); ` +
        `resuming after ${newest}`,
      resetId: true,
    };
  }
  if (oldest !== null && lastId < oldest - 1) {
    return {
      cursor: oldest - 1,
      note: `: events before ${oldest} were pruned; resuming from ${oldest}`,
      resetId: false,
    };
  }
  return { cursor: lastId, note: null, resetId: false };
}

/** The event as streamed: the public event (type, time and fields, no logs). */
export function eventData(e: StoredEvent): Record<string, unknown> {
  return { type: e.type, at: e.at, ...e.data };
}

/** The events route. */
export function eventRoutes(deps: ApiDeps): Hono {
  const s = deps.scheduler;
  const heartbeatMs = deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const app = new Hono();

  app.get(honoPath(ROUTES.events), query(ROUTES.events.query), (c) => {
    // Parsed here rather than by the header schema of the route table (which documents it):
    // a bad header gets its own message.
    const header = c.req.header("last-event-id");
    let replayFrom = c.req.valid("query").last_event_id ?? null;
    if (header !== undefined && header.trim() !== "") {
      if (!/^\d+$/.test(header.trim())) {
        throw new ApiError(
          "BAD_REQUEST",
          "Last-Event-ID must be a stored event id (a whole number)",
        );
      }
      replayFrom = Number(header.trim());
    }
    const newest = latestEventId(s.storage);
    const resume = replayFrom === null
      ? null
      : resumePoint(replayFrom, s.storage.eventsAfter(0, 1)[0]?.id ?? null, newest);
    let cursor = resume?.cursor ?? newest;

    return streamSSE(c, async (stream) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let chain: Promise<void> = Promise.resolve();
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => (finish = resolve));

      // Writes every stored event after the cursor; calls are chained so they never interleave.
      const drain = () => {
        chain = chain.then(async () => {
          while (!stream.aborted && !stream.closed) {
            const events = s.storage.eventsAfter(cursor, PAGE);
            for (const e of events) {
              await stream.writeSSE({
                id: String(e.id),
                event: e.type,
                data: JSON.stringify(eventData(e)),
              });
              cursor = e.id;
            }
            if (events.length < PAGE) break;
          }
        }).catch((err) => {
          // The store closed under us (shutdown): end this stream.
          console.error(`petit: event stream stopped: ${String(err)}`);
          finish();
        });
      };
      const wake = () => {
        if (timer === undefined) {
          timer = setTimeout(() => {
            timer = undefined;
            drain();
          }, READ_DELAY_MS);
        }
      };

      const unsubscribe = s.bus.subscribe(wake);
      // The heartbeat keeps proxies from closing an idle stream, and picks up events other
      // processes (`pt trigger`) wrote to the same database.
      const heartbeat = setInterval(() => {
        void stream.write(": heartbeat\n\n");
        wake();
      }, heartbeatMs);
      // A client that goes away cancels the response body, which aborts the stream.
      stream.onAbort(finish);
      deps.closing?.addEventListener("abort", finish);
      if (deps.closing?.aborted) finish();

      try {
        await stream.write(": connected\n\n");
        if (resume?.note) {
          // One block: the comment, and the id reset when there is one (no data, so no event).
          const id = resume.resetId ? `id: ${resume.cursor}\n` : "";
          await stream.write(`${resume.note}\n${id}\n`);
        }
        if (resume) drain();
        await finished;
      } finally {
        unsubscribe();
        clearInterval(heartbeat);
        clearTimeout(timer);
        deps.closing?.removeEventListener("abort", finish);
        // A client that stopped reading would block the last write forever: cut it off.
        let wait: ReturnType<typeof setTimeout> | undefined;
        const settled = await Promise.race([
          chain.then(() => true),
          new Promise<boolean>((resolve) => (wait = setTimeout(() => resolve(false), 1000))),
        ]);
        clearTimeout(wait);
        if (!settled) stream.abort();
      }
    });
  });
  return app;
}
