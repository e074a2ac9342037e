/**
 * Group commit: writes run at once inside an open `BEGIN IMMEDIATE` transaction that is
 * committed `batchMs` after the first of them, before every read, on `flush()` and
 * `close()`, and at process exit. Grouping a run's writes into a few commits is what keeps
 * SD card wear down.
 *
 * Each write of the open transaction is also kept (as the function that made it) until its
 * commit succeeds. On a full disk SQLite rolls the whole transaction back, whether the
 * failing step was a statement (`max_page_count`, a spilled cache) or the COMMIT (the WAL
 * cannot grow): the batch then "stalls". It keeps the writes in memory, queues new ones
 * behind them without running them, and replays the queue into a new transaction every
 * {@link RETRY_MIN_MS}…{@link RETRY_MAX_MS} (and on `flush()`), spaced by the replay's own
 * cost; the first replay that commits ends the stall.
 * Reads meanwhile see what was last committed. Nothing is dropped, except writes that no
 * longer apply on replay (a slot another scheduler took meanwhile) and, past
 * {@link MAX_PENDING_BYTES}, what the store chooses to shed (see `storage.ts`).
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { WritesNotCommittedError } from "../errors.ts";
import type { WriteHealth } from "../types.ts";
import { errorMessage, isBusy, isStorageFailure } from "./codes.ts";
import { MEMORY_PATH } from "./connection.ts";

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
const FLUSH_RETRY_GAP_MS = 500;

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

/** Timing of a {@link WriteBatch}. */
export interface WriteBatchOptions {
  /** Milliseconds writes may wait in the open transaction; `0` commits every write at once. */
  batchMs: number;
  /** How long `BEGIN IMMEDIATE` waits for another connection's write lock, in ms. */
  busyTimeoutMs: number;
  /** Called after the transaction was rolled back, so caches of its rows can be dropped. */
  onRollback?: () => void;
}

/** Open batches per database file, so one can commit another's batch (see `#begin`). */
const openByFile = new Map<string, Set<WriteBatch>>();

/** Why the batch stalled and since when. */
interface Stall {
  error: Error;
  readonly since: number;
  lastTry: number;
  /** How long the last replay took, in ms. */
  replayMs: number;
  shed: number;
}

/**
 * The write transaction of one connection. Other connections see its writes only once
 * committed, and wait (up to `busyTimeoutMs`) to write meanwhile.
 */
export class WriteBatch {
  readonly #db: DatabaseSync;
  /** Absolute path, or ":memory:". */
  readonly #path: string;
  readonly #batchMs: number;
  readonly #busyTimeoutMs: number;
  readonly #onRollback: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #onUnload = () => this.#finalCommit();

  /** Writes since the last successful commit, to replay if it fails. */
  #kept: (() => unknown)[] = [];
  #keptBytes = 0;
  #stall: Stall | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = RETRY_MIN_MS;
  readonly #listeners = new Set<(health: WriteHealth) => void>();

  // Transaction control as prepared statements: reused, and unlike `exec()` their errors
  // carry `errcode` (needed to tell SQLITE_BUSY and SQLITE_FULL apart).
  readonly #beginStmt: StatementSync;
  readonly #commitStmt: StatementSync;
  readonly #rollbackStmt: StatementSync;
  readonly #savepoint: StatementSync;
  readonly #rollbackTo: StatementSync;
  readonly #release: StatementSync;

  /**
   * Batches writes on `db`, the database at `path`. Build it last when opening: from here
   * on, a file database's batch is committed by its siblings and at process exit.
   */
  constructor(db: DatabaseSync, path: string, options: WriteBatchOptions) {
    this.#db = db;
    this.#path = path;
    this.#batchMs = options.batchMs;
    this.#busyTimeoutMs = options.busyTimeoutMs;
    this.#onRollback = options.onRollback ?? (() => {});
    this.#beginStmt = db.prepare("BEGIN IMMEDIATE");
    this.#commitStmt = db.prepare("COMMIT");
    this.#rollbackStmt = db.prepare("ROLLBACK");
    this.#savepoint = db.prepare("SAVEPOINT petit_step");
    this.#rollbackTo = db.prepare("ROLLBACK TO petit_step");
    this.#release = db.prepare("RELEASE petit_step");
    if (path !== MEMORY_PATH) {
      let peers = openByFile.get(path);
      if (!peers) openByFile.set(path, peers = new Set());
      peers.add(this);
      // Timers are unref'd, so commit what is pending when the process exits normally.
      globalThis.addEventListener("unload", this.#onUnload);
    }
  }

  /** Whether {@link WriteBatch.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether writes are failing: they are kept in memory and retried. */
  get stalled(): boolean {
    return this.#stall !== null;
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

  /**
   * Runs a write inside the batch transaction and schedules (or does) the commit. While the
   * batch is stalled the write is only queued, and `deferred` is returned in place of its
   * result. `bytes` is roughly what the write holds in memory (logs), for the budget.
   */
  write<T>(fn: () => T, deferred: T, bytes = 0): T {
    this.#assertOpen();
    if (this.#stall) {
      this.#keep(fn, bytes);
      return deferred;
    }
    if (!this.#db.isTransaction) this.#begin();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      if (this.#lostTransaction(err)) {
        this.#keep(fn, bytes);
        this.#stallOn(err);
        return deferred;
      }
      // A refused statement (a constraint) only undoes itself; without batching nothing
      // else is pending.
      if (this.#batchMs === 0 && this.#db.isTransaction) this.#rollbackStmt.run();
      else this.#schedule();
      throw err;
    }
    this.#keep(fn, bytes);
    if (this.#batchMs === 0) this.#commit();
    else this.#schedule();
    return result;
  }

  /**
   * Commits first, so reads see this connection's writes and never hold a transaction.
   * While stalled, reads see what was last committed.
   */
  read<T>(fn: () => T): T {
    this.#assertOpen();
    this.#commit();
    return fn();
  }

  /** Runs several statements as one step of a write: all or none of them stay. */
  atomically(fn: () => void): void {
    this.#savepoint.run();
    try {
      fn();
    } catch (err) {
      // A full disk may have rolled back the whole transaction, savepoint included.
      if (this.#db.isTransaction) {
        this.#rollbackTo.run();
        this.#release.run();
      }
      throw err;
    }
    this.#release.run();
  }

  /**
   * Commits buffered writes now (while stalled: replays them, unless the last try was under
   * half a second ago). Throws {@link WritesNotCommittedError} when they are still not
   * committed; they stay kept and are retried.
   */
  flush(): void {
    this.#assertOpen();
    if (this.#stall) this.#retry(FLUSH_RETRY_GAP_MS);
    else this.#commit();
    if (this.#stall) {
      throw new WritesNotCommittedError(this.#kept.length, this.#path, {
        cause: this.#stall.error,
      });
    }
  }

  /**
   * Commits what it can, then stops batching: no more timer, sibling or exit commits. Writes
   * a stall still keeps out are lost and told to the listeners (`lost`); close never throws
   * for them. The connection itself stays open for its owner to close. Calling it again does
   * nothing.
   */
  close(): void {
    if (this.#closed) return;
    try {
      this.#finalCommit();
    } finally {
      this.#clearTimer();
      this.#clearRetryTimer();
      this.#closed = true;
      this.#kept = [];
      const peers = openByFile.get(this.#path);
      peers?.delete(this);
      if (peers?.size === 0) openByFile.delete(this.#path);
      globalThis.removeEventListener("unload", this.#onUnload);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`petit: storage ${this.#path} is closed`);
  }

  #begin(): void {
    // Same thread: waiting on a sibling's lock could never end (its timer cannot fire
    // while we block), so commit siblings' batches first.
    for (const peer of openByFile.get(this.#path) ?? []) {
      if (peer !== this) peer.#commit();
    }
    try {
      this.#beginStmt.run();
    } catch (err) {
      if (isBusy(err)) {
        throw new Error(
          `petit: database ${this.#path} stayed locked by another writer for over ` +
            `${this.#busyTimeoutMs} ms`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** Whether a failed write took the transaction with it (full disk, I/O error). */
  #lostTransaction(err: unknown): boolean {
    return isStorageFailure(err) || !this.#db.isTransaction;
  }

  #keep(fn: () => unknown, bytes: number): void {
    this.#kept.push(fn);
    this.#keptBytes += bytes + WRITE_OVERHEAD_BYTES;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#commit();
    }, this.#batchMs);
    Deno.unrefTimer(this.#timer);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Commits the batch, if any; a failure stalls it (never throws). Nothing while stalled. */
  #commit(): void {
    this.#clearTimer();
    if (this.#closed || this.#stall || !this.#db.isTransaction) return;
    try {
      this.#commitStmt.run();
    } catch (err) {
      this.#stallOn(err);
      return;
    }
    this.#kept = [];
    this.#keptBytes = 0;
  }

  /** At exit and on close: one last commit or replay; a stall left over is `lost`. */
  #finalCommit(): void {
    if (this.#closed) return;
    if (this.#stall) this.#retry(0);
    else this.#commit();
    if (this.#stall) {
      this.#tell({ state: "lost", error: this.#stall.error, pending: this.#kept.length });
    }
  }

  /** Rolls back what is left of the transaction and keeps the writes for a replay. */
  #stallOn(err: unknown): void {
    this.#rollback();
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

  #rollback(): void {
    try {
      if (this.#db.isTransaction) this.#rollbackStmt.run();
    } catch {
      // The error that got us here is the one worth reporting.
    }
    this.#onRollback();
  }

  /**
   * Replays the kept writes into a new transaction and commits it. A write that fails for
   * any other reason than the disk no longer applies and is dropped (counted). With a
   * `minGapMs`, does nothing that soon after the previous try, nor before
   * {@link REPLAY_SPACING} times its duration.
   */
  #retry(minGapMs: number): void {
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
      this.#begin();
      for (const fn of this.#kept) {
        try {
          fn();
        } catch (err) {
          if (this.#lostTransaction(err)) throw err;
          dropped++;
          droppedError ??= err instanceof Error ? err : new Error(errorMessage(err));
        }
      }
      this.#commitStmt.run();
    } catch (err) {
      stall.replayMs = performance.now() - started;
      this.#retryDelay = Math.min(this.#retryDelay * 2, RETRY_MAX_MS);
      this.#stallOn(err);
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

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    const delay = Math.max(this.#retryDelay, REPLAY_SPACING * (this.#stall?.replayMs ?? 0));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#retry(0);
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
