/**
 * Time as the firing engine sees it: the wall clock, a monotonic clock, timers and the short
 * busy wait before a slot, behind one interface so tests can drive time.
 * {@link SYSTEM_CLOCK} is the real one (`Date.now`, `performance.now`, `setTimeout`). Needs
 * no permissions.
 *
 * @module
 */

import { type LongTimeout, longTimeout, MAX_TIMER_MS } from "../core/delay.ts";

/** A timer set by {@link Clock.setTimer}, to pass to {@link Clock.clearTimer}; opaque. */
export type TimerHandle = object;

/** The time sources and timers the firing engine uses. */
export interface Clock {
  /** Wall-clock time in epoch ms (`Date.now()`): slots, lateness. */
  now(): number;
  /** Ms from an arbitrary origin, never jumping (`performance.now()`): spots wall jumps. */
  monotonic(): number;
  /** Calls `fn` once after `ms` milliseconds, for any delay (even past 2^31-1 ms). */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; nothing happens if it has fired already. */
  clearTimer(handle: TimerHandle): void;
  /**
   * Busy-waits while `wallMs` is ahead of {@link Clock.now} by more than 0 and at most
   * `maxMs` (so a wall-clock jump mid-wait ends it). Time passes while spinning: a clock
   * driven by a test moves to `wallMs` rather than spin forever.
   */
  spinUntil(wallMs: number, maxMs: number): void;
}

/**
 * A clock on `Date.now`, `performance.now` and `setTimeout`. Delays above `maxTimerMs`
 * chain timers of at most that length: one `setTimeout` beyond 2^31-1 ms overflows and
 * fires at once (see {@link MAX_TIMER_MS}), and a yearly job's slot is more than that
 * (24.8 days) away. Each link may add a millisecond or so of lateness.
 *
 * @param maxTimerMs Longest single `setTimeout`; tests lower it to see the chaining.
 */
export function systemClock(maxTimerMs: number = MAX_TIMER_MS): Clock {
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    setTimer: (fn: () => void, ms: number): TimerHandle => longTimeout(fn, ms, maxTimerMs),
    clearTimer: (handle: TimerHandle): void => (handle as LongTimeout).clear(),
    spinUntil(wallMs: number, maxMs: number): void {
      while (wallMs - Date.now() > 0 && wallMs - Date.now() <= maxMs) {
        // Spin until the slot's millisecond.
      }
    },
  };
}

/** The real clock, with {@link MAX_TIMER_MS}-long timer links. */
export const SYSTEM_CLOCK: Clock = systemClock();
