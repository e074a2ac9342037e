/**
 * Checks that work grows linearly with its input, on whatever machine runs the suite: the same
 * work is timed at `n` and at `factor × n` in one process and the two times are compared. A
 * slow machine (an emulated aarch64 Deno runs this code 20–100 times slower, a Pi 5–10 times)
 * slows both alike, so the verdict does not depend on it; a quadratic regression takes
 * `factor²` times as long for `factor` times the input and fails on any machine.
 *
 * An absolute bound cannot do both: sized for a fast x86 it fails under qemu, and scaled for
 * qemu it no longer notices a regression natively.
 *
 * @example Assert that a loop over a list is linear
 * ```ts
 * import { assertLinear } from "./growth.ts";
 *
 * assertLinear(
 *   (n) => Array.from({ length: n }, (_, i) => `item_${i}`),
 *   (items) => new Set(items).size,
 *   2_000,
 * );
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";

/** How the time of some work grew from `n` to `factor × n`. */
export interface Growth {
  /** The input size of the small run. */
  readonly n: number;
  /** How many times larger the large run's input is. */
  readonly factor: number;
  /** Time of the small run (the best of {@link SMALL_RUNS}), in ms. */
  readonly smallMs: number;
  /** Time of the large run, in ms. */
  readonly largeMs: number;
  /** `largeMs / smallMs`: about `factor` when linear, `factor²` when quadratic. */
  readonly ratio: number;
}

/**
 * Timed runs at the small size; the best counts (the one least disturbed by other processes).
 *
 * @default {3}
 */
export const SMALL_RUNS = 3;

/**
 * How far above `factor` the ratio may go and still count as linear: for a factor of 10, a
 * linear loader measures 6–12 here (natively and under qemu) and a quadratic one 60–100; a
 * run preempted on a busy machine (load 15 on 2 cores) went past 30, so the line is at 50.
 *
 * @default {5}
 */
export const LINEAR_SLACK = 5;

/**
 * Times `work` on inputs of `n` and `factor × n` items (built by `make`, untimed). A first
 * untimed run at `n` compiles the code paths first: under qemu the first run of a loader can
 * take ten times as long as the next ones (V8's compilers are emulated too).
 */
export function measureGrowth<T>(
  make: (n: number) => T,
  work: (input: T) => unknown,
  n: number,
  factor = 10,
): Growth {
  const small = make(n);
  const large = make(n * factor);
  work(small);
  let smallMs = Infinity;
  for (let i = 0; i < SMALL_RUNS; i++) {
    const start = performance.now();
    work(small);
    smallMs = Math.min(smallMs, performance.now() - start);
  }
  const start = performance.now();
  work(large);
  const largeMs = performance.now() - start;
  return { n, factor, smallMs, largeMs, ratio: largeMs / Math.max(smallMs, 0.001) };
}

/** Asserts that `work` is linear in its input size (see {@link measureGrowth}); returns the times. */
export function assertLinear<T>(
  make: (n: number) => T,
  work: (input: T) => unknown,
  n: number,
  factor = 10,
): Growth {
  const g = measureGrowth(make, work, n, factor);
  assert.ok(
    g.ratio < factor * LINEAR_SLACK,
    `${g.factor}× the input took ${g.ratio.toFixed(1)}× the time (${g.n}: ` +
      `${g.smallMs.toFixed(0)} ms, ${g.n * g.factor}: ${g.largeMs.toFixed(0)} ms); ` +
      `linear is about ${factor}×`,
  );
  return g;
}
