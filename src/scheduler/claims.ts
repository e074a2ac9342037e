/**
 * The slot claims of one engine wake-up, committed before any of its runs starts. Runs fired
 * during a wake-up wait on a gate; {@link ClaimBatch.commit} flushes the store (which batches
 * writes for ~200 ms) when a slot was claimed, then opens the gate. Were the process killed
 * between a task's start and the commit, the claim would vanish and the restart would run the
 * slot a second time. When the commit fails (a full disk), the gate fails with
 * {@link ClaimNotCommittedError} and none of the wake-up's runs starts. Claiming every due
 * slot first also keeps one run's start-up work from delaying the next job's fire. Needs no
 * permissions.
 *
 * @module
 */

/** The slot claims of a wake-up could not be committed: their runs must not start. */
export class ClaimNotCommittedError extends Error {
  /** Builds the error; `cause` is the store's failure. */
  constructor(options?: ErrorOptions) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(`petit: the slot claim could not be committed: ${why}`, options);
    this.name = "ClaimNotCommittedError";
  }
}

interface Gate {
  readonly promise: Promise<void>;
  readonly open: () => void;
  readonly fail: (err: Error) => void;
}

/** Claims of the current wake-up and the gate its runs wait on. */
export class ClaimBatch {
  readonly #flush: () => void;
  /** A slot was claimed (fired or skipped) since the last commit. */
  #claimed = false;
  #gate: Gate | null = null;

  /** A batch that commits with `flush` (the store's). */
  constructor(flush: () => void) {
    this.#flush = flush;
  }

  /** Notes that a slot was claimed: the next commit flushes the store. */
  claimed(): void {
    this.#claimed = true;
  }

  /**
   * The promise a run fired now waits for before it executes; it rejects with
   * {@link ClaimNotCommittedError} when the claims could not be committed.
   */
  startGate(): Promise<void> {
    if (this.#gate === null) {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      // Handled here too: a run that was never started (slot taken) leaves no one waiting.
      promise.catch(() => {});
      this.#gate = { promise, open: resolve, fail: reject };
    }
    return this.#gate.promise;
  }

  /** Commits the claims, then lets this wake-up's runs start, or fails them if it could not. */
  commit(): void {
    const gate = this.#gate;
    this.#gate = null;
    if (this.#claimed) {
      this.#claimed = false;
      try {
        this.#flush();
      } catch (err) {
        gate?.fail(new ClaimNotCommittedError({ cause: err }));
        return;
      }
    }
    gate?.open();
  }
}
