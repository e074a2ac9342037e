/**
 * The slot claims of one engine wake-up, committed before any of its runs starts. Runs fired
 * during a wake-up wait on a gate; {@link ClaimBatch.commit} flushes the store (which batches
 * writes for ~50 ms) when a slot was claimed, then opens the gate. Were the process killed
 * between a task's start and the commit, the claim would vanish and the restart would run the
 * slot a second time. Claiming every due slot first also keeps one run's start-up work from
 * delaying the next job's fire. Needs no permissions.
 *
 * @module
 */

/** Claims of the current wake-up and the gate its runs wait on. */
export class ClaimBatch {
  readonly #flush: () => void;
  /** A slot was claimed (fired or skipped) since the last commit. */
  #claimed = false;
  #gate: { promise: Promise<void>; open: () => void } | null = null;

  /** A batch that commits with `flush` (the store's). */
  constructor(flush: () => void) {
    this.#flush = flush;
  }

  /** Notes that a slot was claimed: the next commit flushes the store. */
  claimed(): void {
    this.#claimed = true;
  }

  /** The promise a run fired now waits for before it executes. */
  startGate(): Promise<void> {
    if (this.#gate === null) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#gate = { promise, open: resolve };
    }
    return this.#gate.promise;
  }

  /** Commits the claims (a failed flush is logged), then lets this wake-up's runs start. */
  commit(): void {
    const gate = this.#gate;
    this.#gate = null;
    if (this.#claimed) {
      this.#claimed = false;
      try {
        this.#flush();
      } catch (err) {
        console.error(`petit: could not commit slot claims: ${String(err)}`);
      }
    }
    gate?.open();
  }
}
