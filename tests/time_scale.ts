/**
 * One factor for the test suite's timing windows, so that a slow machine (an emulated aarch64
 * Deno, a Raspberry Pi) runs the same assertions with longer waits. It stretches how long a test
 * waits and how late or slow something may be; never what a test asserts about order, counts or
 * exactly-once.
 *
 * The factor is `PETIT_TEST_TIME_SCALE` (a number >= 1, default 1: native runs are unchanged);
 * `deno task test:arm64` sets it under emulation. Reading it needs `--allow-env`, which the test
 * tasks grant. How fast code runs is not a window: a speed bound compares the work with itself
 * at another size (`tests/growth.ts`) or with a plain baseline run in the same process.
 *
 * @example Scale a wait
 * ```ts
 * import { scaled } from "./time_scale.ts";
 *
 * const timeoutMs = scaled(10_000); // 10 s natively, 40 s with PETIT_TEST_TIME_SCALE=4
 * ```
 *
 * @module
 */

/** The variable that sets the factor. */
export const TIME_SCALE_ENV = "PETIT_TEST_TIME_SCALE";

/**
 * The factor every scaled window is multiplied by.
 *
 * @default {1}
 */
export const TIME_SCALE: number = readScale(Deno.env.get(TIME_SCALE_ENV));

/** Parses the factor; a value that is not a number >= 1 is a mistake worth stopping for. */
export function readScale(text: string | undefined): number {
  if (text === undefined || text.trim() === "") return 1;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 1) {
    throw new Error(`${TIME_SCALE_ENV} must be a number >= 1, got "${text}"`);
  }
  return n;
}

/** `ms` stretched by {@link TIME_SCALE} (rounded to a whole millisecond). */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}

/** The variable that says the suite runs under qemu user emulation (`1`). */
export const EMULATED_ENV = "PETIT_TEST_EMULATED";

/**
 * Whether the suite runs under qemu user emulation: `PETIT_TEST_EMULATED=1`, which
 * `scripts/arm64/test.sh` and `smoke.sh` set when they emulate (never on a real aarch64
 * machine). A test asserts the emulated form of what qemu-user changes only here, and
 * precisely: a spawn whose child fails before `exec` exits 127 instead of failing (qemu runs
 * glibc's `posix_spawn` vfork as a plain fork), and an event loop that stalls past a
 * second-long slot (its slots are then recorded `missed`, which the engine must still do
 * right).
 *
 * @default {false}
 */
export const EMULATED: boolean = Deno.env.get(EMULATED_ENV) === "1";
