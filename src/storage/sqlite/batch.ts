/**
 * Group commit: writes run at once inside an open `BEGIN IMMEDIATE` transaction that is
 * committed `batchMs` after the first of them, before every read, on `flush()` and
 * `close()`, and at process exit. Grouping a run's writes into a few commits is what keeps
 * SD card wear down.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { errorMessage, isBusy } from "./codes.ts";
import { MEMORY_PATH } from "./connection.ts";

/** Timing of a {@link WriteBatch}. */
export interface WriteBatchOptions {
  /** Milliseconds writes may wait in the open transaction; `0` commits every write at once. */
  batchMs: number;
  /** How long `BEGIN IMMEDIATE` waits for another connection's write lock, in ms. */
  busyTimeoutMs: number;
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
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** A background commit failure, reported by the next `flush()`. */
  #flushError: Error | undefined;
  #closed = false;
  readonly #onUnload = () => this.#commitQuietly();

  // Transaction control as prepared statements: reused, and unlike `exec()` their errors
  // carry `errcode` (needed to tell SQLITE_BUSY apart).
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

  /** Runs a write inside the batch transaction and schedules (or does) the commit. */
  write<T>(fn: () => T): T {
    this.#assertOpen();
    if (!this.#db.isTransaction) this.#begin();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      // A failed statement only undoes itself; without batching nothing else is pending.
      if (this.#batchMs === 0 && this.#db.isTransaction) this.#rollbackStmt.run();
      else this.#schedule();
      throw err;
    }
    if (this.#batchMs === 0) this.#commit();
    else this.#schedule();
    return result;
  }

  /** Commits first, so reads see this connection's writes and never hold a transaction. */
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
      this.#rollbackTo.run();
      this.#release.run();
      throw err;
    }
    this.#release.run();
  }

  /**
   * Commits buffered writes now. Also throws (once) an earlier background commit failure,
   * whose writes were rolled back.
   */
  flush(): void {
    this.#assertOpen();
    this.#commit();
    const pending = this.#flushError;
    this.#flushError = undefined;
    if (pending) throw pending;
  }

  /**
   * Flushes, then stops batching: no more timer, sibling or exit commits. The connection
   * itself stays open for its owner to close. Calling it again does nothing.
   */
  close(): void {
    if (this.#closed) return;
    try {
      this.flush();
    } finally {
      this.#clearTimer();
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
      if (peer !== this) peer.#commitQuietly();
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

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#commitQuietly();
    }, this.#batchMs);
    Deno.unrefTimer(this.#timer);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Commits the batch, if any. On failure rolls it back and throws. */
  #commit(): void {
    this.#clearTimer();
    if (this.#closed || !this.#db.isTransaction) return;
    try {
      this.#commitStmt.run();
    } catch (err) {
      try {
        if (this.#db.isTransaction) this.#rollbackStmt.run();
      } catch {
        // The commit error below is the one worth reporting.
      }
      throw new Error(
        `petit: could not commit writes to ${this.#path} (they were rolled back): ${
          errorMessage(err)
        }`,
        { cause: err },
      );
    }
  }

  /** Commit from a timer, a sibling or exit: nobody to throw to, so keep it for `flush()`. */
  #commitQuietly(): void {
    try {
      this.#commit();
    } catch (err) {
      this.#flushError = err instanceof Error ? err : new Error(String(err));
      console.error(errorMessage(err));
    }
  }
}
