/**
 * `delay()`: a promise that resolves after a number of milliseconds, cancellable with an
 * `AbortSignal`, and correct for delays longer than one timer can hold. Needs no
 * permissions; uses only `setTimeout`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { delay, type DelayOptions, MAX_TIMER_MS } from "./delay.ts";
 *
 * await delay(10);
 * const controller = new AbortController();
 * const options: DelayOptions = { signal: controller.signal };
 * const waiting = delay(MAX_TIMER_MS + 1000, options); // longer than one timer: chained
 * controller.abort(new Error("stop"));
 * await assert.rejects(waiting, { message: "stop" }); // rejects with the abort reason
 * ```
 *
 * @module
 */

/**
 * The longest wait one `setTimeout` takes: beyond it the delay overflows a 32-bit int and
 * the timer fires at once (Deno 2.9 prints "TimeoutOverflowWarning: … Timeout duration was
 * set to 1" and fires after ~1 ms, checked here for 2^31 + 1000 ms). Longer delays chain
 * timers of at most this length.
 *
 * @default {2147483647}
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options for {@linkcode delay}. */
export interface DelayOptions {
  /** Aborting it ends the wait early: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/**
 * Resolves after `ms` milliseconds. The convention is Deno std's `async/delay.ts`: when
 * `options.signal` aborts first (or is already aborted), the promise rejects with
 * `signal.reason` (an "AbortError" `DOMException` unless `abort()` was given one) and no
 * timer is left behind.
 *
 * `ms` ≤ 0 (or NaN) resolves without a timer, so a retry with no delay costs no macrotask.
 * Delays above {@linkcode MAX_TIMER_MS} (about 24.8 days) chain timers instead of
 * overflowing; `Infinity` waits until aborted.
 *
 * @param ms How long to wait, in milliseconds.
 * @param options The abort signal.
 * @returns A promise that resolves after `ms`, or rejects with the signal's reason.
 */
export function delay(ms: number, options: DelayOptions = {}): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (!(ms > 0)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let left = ms;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const step = (): void => {
      if (left <= 0) {
        signal?.removeEventListener("abort", abort);
        resolve();
        return;
      }
      const chunk = Math.min(left, MAX_TIMER_MS);
      left -= chunk;
      timer = setTimeout(step, chunk);
    };
    signal?.addEventListener("abort", abort, { once: true });
    step();
  });
}

/** A pending {@linkcode longTimeout}; `clear()` cancels it (a no-op once it fired). */
export interface LongTimeout {
  /** Cancels the callback. */
  clear(): void;
}

/**
 * `setTimeout` for any duration: calls `fn` once after `ms` milliseconds, chaining timers
 * of at most {@linkcode MAX_TIMER_MS} so that a `timeout: 30d` does not fire at once.
 *
 * @param fn What to call.
 * @param ms How long to wait, in milliseconds (≤ 0 or NaN calls on the next macrotask).
 * @param maxTimerMs Longest single `setTimeout` of the chain; tests lower it.
 * @returns A handle whose `clear()` cancels the call.
 */
export function longTimeout(
  fn: () => void,
  ms: number,
  maxTimerMs: number = MAX_TIMER_MS,
): LongTimeout {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const step = (left: number): void => {
    timer = left > maxTimerMs
      ? setTimeout(() => step(left - maxTimerMs), maxTimerMs)
      : setTimeout(fn, left > 0 ? left : 0);
  };
  step(ms);
  return { clear: () => clearTimeout(timer) };
}
