/**
 * One factor for the test suite's timing windows, so that a slow machine (an emulated aarch64
 * Deno, a Raspberry Pi) runs the same assertions with longer waits. It stretches how long a test
 * waits and how late or slow something may be; never what a test asserts about order, counts or
 * exactly-once.
 *
 * The factor is `PETIT_TEST_TIME_SCALE` (a number >= 1, default 1: native runs are unchanged);
 * `deno task test:arm64` sets it under emulation. Reading it needs `--allow-env`, which the test
 * tasks grant.
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
