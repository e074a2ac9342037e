/**
 * The kept writes of a `WriteBatch` (`batch.ts`) and its disk-full handling. Each write of the open
 * transaction is kept (as the function that made it) until its commit succeeds. On a full
 * disk SQLite rolls the whole transaction back, whether the failing step was a statement
 * (`max_page_count`, a spilled cache) or the COMMIT (the WAL cannot grow): the batch then
 * "stalls". The queue keeps the writes in memory, takes new ones behind them without running
 * them, and replays them into a new transaction every {@link RETRY_MIN_MS}…{@link RETRY_MAX_MS}
 * (and on `flush()`), spaced by the replay's own cost; the first replay that commits ends the
 * stall. Listeners hear when writes start failing, shed, recover or are lost.
 *
 * @module
 */

import type { WriteHealth } from "../types.ts";
import { errorMessage } from "./codes.ts";

/**
 * First delay before replaying the writes of a stalled batch (it doubles after each failed
 * replay, up to {@link RETRY_MAX_MS}).
 *
 * @default {1000}
 */
export const RETRY_MIN_MS = 1000;

/**
 * Replays are spaced by at least this many times the last one's duration, so a long queue
 * costs at most ~5% of the time. A replay costs ~10 µs a write on a laptop (measured: 400
 * runs of a 3-task job, 9,600 writes or ~7 minutes of an every-second job, in 91 ms; 38,400
 * writes in 375 ms), about ten times that on a Raspberry Pi: an hour's backlog there is
 * seconds per replay, which without this spacing would be retried every second.
 *
 * @default {20}
 */
const REPLAY_SPACING = 20;

/**
 * Shortest time between two replays asked for by `flush()` (a scheduler wake-up's slot
 * claims): short enough that an every-second job tries each wake-up.
 *
 * @default {500}
 */
export const FLUSH_RETRY_GAP_MS = 500;

/**
 * Longest delay between two replays of a stalled batch (the delay doubles from
 * {@link RETRY_MIN_MS}): space that comes back is noticed within this time, unless a replay
 * takes over 1/{@link REPLAY_SPACING} of it.
 *
 * @default {8000}
 */
export const RETRY_MAX_MS = 8000;

/**
 * Memory a stalled batch may hold (estimated from the sizes its writes declare) before the
 * store sheds what it can do without: event-log rows and captured task output.
 *
 * @default {33554432}
 */
export const MAX_PENDING_BYTES = 32 * 1024 * 1024;

/** Bytes counted per kept write besides what it declares (the closure and its record). */
const WRITE_OVERHEAD_BYTES = 200;

/** What the queue needs from the batch that owns the connection's transaction. */
export interface ReplayHost {
  /** Opens the write transaction (`BEGIN IMMEDIATE`); throws if it cannot. */
  begin(): void;
  /** Commits the open transaction; throws if it cannot. */
  commit(): void;
  /** Rolls back what is left of the transaction (never throws). */
  rollback(): void;
  /** Whether a failed write took the transaction with it (full disk, I/O error). */
  lostTransaction(err: unknown): boolean;
}

/** Why the batch stalled and since when. */
interface Stall {
  error: Error;
  readonly since: number;
  lastTry: number;
  /** How long the last replay took, in ms. */
  replayMs: number;
  shed: number;
}

/** The writes since the last successful commit, replayed while the batch is stalled. */
export class ReplayQueue {
  readonly #host: ReplayHost;
  /** Writes since the last successful commit, to replay if it fails. */
  #kept: (() => unknown)[] = [];
  #keptBytes = 0;
  #stall: Stall | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = RETRY_MIN_MS;
  #closed = false;
  readonly #listeners = new Set<(health: WriteHealth) => void>();

  /** A queue for the batch `host`. */
  constructor(host: ReplayHost) {
    this.#host = host;
  }

  /** Whether writes are failing: they are kept in memory and retried. */
  get stalled(): boolean {
    return this.#stall !== null;
  }

  /** Why the batch is stalled, or null. */
  get error(): Error | null {
    return this.#stall?.error ?? null;
  }

  /** How many writes are kept. */
  get pending(): number {
    return this.#kept.length;
  }

  /** Whether a stalled batch holds more than {@link MAX_PENDING_BYTES}: shed what you can. */
  get overBudget(): boolean {
    return this.#stall !== null && this.#keptBytes > MAX_PENDING_BYTES;
  }

  /** Notes a write the store left out because the batch is over budget. */
  shed(): void {
    if (this.#stall === null) return;
    if (this.#stall.shed++ === 0) this.#tell({ state: "shedding", pendingBytes: this.#keptBytes });
  }

  /** See `StoreLifecycle.watchWrites`. */
  watch(listener: (health: WriteHealth) => void): () => void {
    this.#listeners.add(listener);
    if (this.#stall) {
      listener({ state: "failing", error: this.#stall.error, pending: this.#kept.length });
    }
    return () => this.#listeners.delete(listener);
  }

  /** Keeps a write until the next successful commit; `bytes` counts toward the budget. */
  keep(fn: () => unknown, bytes: number): void {
    this.#kept.push(fn);
    this.#keptBytes += bytes + WRITE_OVERHEAD_BYTES;
  }

  /** Forgets the kept writes: their commit succeeded. */
  committed(): void {
    this.#kept = [];
    this.#keptBytes = 0;
  }

  /** Rolls back what is left of the transaction and keeps the writes for a replay. */
  stallOn(err: unknown): void {
    this.#host.rollback();
    const error = err instanceof Error ? err : new Error(errorMessage(err));
    if (this.#stall) {
      this.#stall.error = error;
    } else {
      const now = Date.now();
      this.#stall = { error, since: now, lastTry: now, replayMs: 0, shed: 0 };
      this.#retryDelay = RETRY_MIN_MS;
      this.#tell({ state: "failing", error, pending: this.#kept.length });
    }
    this.#scheduleRetry();
  }

  /**
   * Replays the kept writes into a new transaction and commits it. A write that fails for
   * any other reason than the disk no longer applies and is dropped (counted). With a
   * `minGapMs`, does nothing that soon after the previous try, nor before
   * {@link REPLAY_SPACING} times its duration.
   */
  retry(minGapMs: number): void {
    const stall = this.#stall;
    if (!stall || this.#closed) return;
    const gap = minGapMs > 0 ? Math.max(minGapMs, REPLAY_SPACING * stall.replayMs) : 0;
    if (Date.now() - stall.lastTry < gap) return;
    this.#clearRetryTimer();
    stall.lastTry = Date.now();
    const started = performance.now();
    let dropped = 0;
    let droppedError: Error | null = null;
    try {
      this.#host.begin();
      for (const fn of this.#kept) {
        try {
          fn();
        } catch (err) {
          if (this.#host.lostTransaction(err)) throw err;
          dropped++;
          droppedError ??= err instanceof Error ? err : new Error(errorMessage(err));
        }
      }
      this.#host.commit();
    } catch (err) {
      stall.replayMs = performance.now() - started;
      this.#retryDelay = Math.min(this.#retryDelay * 2, RETRY_MAX_MS);
      this.stallOn(err);
      return;
    }
    const committed = this.#kept.length - dropped;
    this.#kept = [];
    this.#keptBytes = 0;
    this.#stall = null;
    this.#tell({
      state: "recovered",
      committed,
      dropped,
      droppedError,
      shed: stall.shed,
      failedMs: Date.now() - stall.since,
    });
  }

  /** Tells the listeners the writes a stall still keeps out are `lost`, if there is one. */
  reportLost(): void {
    if (this.#stall) {
      this.#tell({ state: "lost", error: this.#stall.error, pending: this.#kept.length });
    }
  }

  /** Stops retrying and forgets the kept writes. */
  close(): void {
    this.#clearRetryTimer();
    this.#closed = true;
    this.#kept = [];
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    const delay = Math.max(this.#retryDelay, REPLAY_SPACING * (this.#stall?.replayMs ?? 0));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.retry(0);
    }, delay);
    Deno.unrefTimer(this.#retryTimer);
  }

  #clearRetryTimer(): void {
    if (this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #tell(health: WriteHealth): void {
    for (const listener of this.#listeners) {
      try {
        listener(health);
      } catch {
        // A listener's failure must not turn a write into a failed one.
      }
    }
  }
}
