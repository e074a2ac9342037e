/**
 * Group commit: writes run at once inside an open `BEGIN IMMEDIATE` transaction that is
 * committed `batchMs` after the first of them, before every read, on `flush()` and
 * `close()`, and at process exit. Grouping a run's writes into a few commits is what keeps
 * SD card wear down.
 *
 * Each write of the open transaction is also kept until its commit succeeds; on a full disk
 * the batch "stalls" and its {@link ReplayQueue} (`replay_queue.ts`) keeps the writes in
 * memory, queues new ones behind them and replays them until a commit succeeds.
 * Reads meanwhile see what was last committed. Nothing is dropped, except writes that no
 * longer apply on replay (a slot another scheduler took meanwhile) and, past
 * {@link MAX_PENDING_BYTES}, what the store chooses to shed (see `storage.ts`).
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { WritesNotCommittedError } from "../errors.ts";
import type { WriteHealth } from "../types.ts";
import { isBusy, isStorageFailure } from "./codes.ts";
import { MEMORY_PATH } from "./connection.ts";
import { FLUSH_RETRY_GAP_MS, ReplayQueue } from "./replay_queue.ts";

export { MAX_PENDING_BYTES, RETRY_MAX_MS, RETRY_MIN_MS } from "./replay_queue.ts";

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

  /** The writes since the last successful commit, and the stall they are replayed through. */
  readonly #queue: ReplayQueue;

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
    this.#queue = new ReplayQueue({
      begin: () => this.#begin(),
      commit: () => this.#commitStmt.run(),
      rollback: () => this.#rollback(),
      lostTransaction: (err) => this.#lostTransaction(err),
    });
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
    return this.#queue.stalled;
  }

  /** Whether a stalled batch holds more than {@link MAX_PENDING_BYTES}: shed what you can. */
  get overBudget(): boolean {
    return this.#queue.overBudget;
  }

  /** Notes a write the store left out because the batch is over budget. */
  shed(): void {
    this.#queue.shed();
  }

  /** See `StoreLifecycle.watchWrites`. */
  watch(listener: (health: WriteHealth) => void): () => void {
    return this.#queue.watch(listener);
  }

  /**
   * Runs a write inside the batch transaction and schedules (or does) the commit. While the
   * batch is stalled the write is only queued, and `deferred` is returned in place of its
   * result. `bytes` is roughly what the write holds in memory (logs), for the budget.
   */
  write<T>(fn: () => T, deferred: T, bytes = 0): T {
    this.#assertOpen();
    if (this.#queue.stalled) {
      this.#queue.keep(fn, bytes);
      return deferred;
    }
    if (!this.#db.isTransaction) this.#begin();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      if (this.#lostTransaction(err)) {
        this.#queue.keep(fn, bytes);
        this.#queue.stallOn(err);
        return deferred;
      }
      // A refused statement (a constraint) only undoes itself; without batching nothing
      // else is pending.
      if (this.#batchMs === 0 && this.#db.isTransaction) this.#rollbackStmt.run();
      else this.#schedule();
      throw err;
    }
    this.#queue.keep(fn, bytes);
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
    if (this.#queue.stalled) this.#queue.retry(FLUSH_RETRY_GAP_MS);
    else this.#commit();
    if (this.#queue.stalled) {
      throw new WritesNotCommittedError(this.#queue.pending, this.#path, {
        cause: this.#queue.error,
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
      this.#queue.close();
      this.#closed = true;
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
    if (this.#closed || this.#queue.stalled || !this.#db.isTransaction) return;
    try {
      this.#commitStmt.run();
    } catch (err) {
      this.#queue.stallOn(err);
      return;
    }
    this.#queue.committed();
  }

  /** At exit and on close: one last commit or replay; a stall left over is `lost`. */
  #finalCommit(): void {
    if (this.#closed) return;
    if (this.#queue.stalled) this.#queue.retry(0);
    else this.#commit();
    this.#queue.reportLost();
  }

  /** Rolls back what is left of the transaction (never throws). */
  #rollback(): void {
    try {
      if (this.#db.isTransaction) this.#rollbackStmt.run();
    } catch {
      // The error that got us here is the one worth reporting.
    }
    this.#onRollback();
  }
}
