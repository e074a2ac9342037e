/**
 * A {@link Clock} whose time passes only when the test says so: `advance()` lets time pass
 * and runs each timer as it falls due (each sees the time it was due, ties in the order they
 * were set), `runNext()` does it one timer at a time, and `jump()` moves the wall clock
 * alone, as an NTP step or a manual change would. The firing engine's tests and the
 * `TestHarness` drive it. No permissions, no real timers.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./manual_clock.ts";
 *
 * const clock = new ManualClock(new Date("2026-01-01T00:00:00Z"));
 * const fired: number[] = [];
 * clock.setTimer(() => fired.push(clock.now()), 1_000);
 * clock.advance(5_000);
 * console.log(fired.map((t) => new Date(t).toISOString())); // ["2026-01-01T00:00:01.000Z"]
 * ```
 *
 * @module
 */

import type { Clock, TimerHandle } from "../scheduler/clock.ts";

interface ManualTimer {
  readonly fn: () => void;
  /** Monotonic time it falls due. */
  readonly due: number;
  /** Order of setting, for timers due at the same time. */
  readonly seq: number;
}

/** A clock whose time passes only when the test says so. */
export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;
  #seq = 0;
  readonly #timers = new Map<TimerHandle, ManualTimer>();
  /** Every delay asked of `setTimer`, in order. */
  readonly delays: number[] = [];

  /** A clock whose wall time starts at `start` (a Date or epoch ms); monotonic time at 0. */
  constructor(start: Date | number) {
    this.#wall = typeof start === "number" ? start : start.getTime();
    if (!Number.isFinite(this.#wall)) throw new RangeError(`ManualClock: invalid start ${start}`);
  }

  /** Wall-clock time in epoch ms. */
  now(): number {
    return this.#wall;
  }

  /** Ms of time let pass since the clock was made (jumps excluded). */
  monotonic(): number {
    return this.#mono;
  }

  /** Calls `fn` once `ms` milliseconds have been let pass. */
  setTimer(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    this.delays.push(ms);
    this.#timers.set(handle, { fn, due: this.#mono + Math.max(0, ms || 0), seq: this.#seq++ });
    return handle;
  }

  /** Cancels a timer; nothing happens if it has fired already. */
  clearTimer(handle: TimerHandle): void {
    this.#timers.delete(handle);
  }

  /** Spinning passes time: the clock moves to `wallMs` when it is within `maxMs` ahead. */
  spinUntil(wallMs: number, maxMs: number): void {
    const ahead = wallMs - this.#wall;
    if (ahead > 0 && ahead <= maxMs) this.#pass(ahead);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Ms until the next timer falls due (0 when one is due now), or null when none is set. */
  nextDue(): number | null {
    const first = this.#first(Infinity);
    return first ? first[1].due - this.#mono : null;
  }

  /**
   * Runs the next timer if it falls due within `withinMs`: time moves to its due time, then
   * it is called. Returns whether one ran; time does not move otherwise.
   */
  runNext(withinMs: number = Infinity): boolean {
    const first = this.#first(this.#mono + withinMs);
    if (!first) return false;
    this.#timers.delete(first[0]);
    this.#pass(first[1].due - this.#mono);
    first[1].fn();
    return true;
  }

  /** Lets `ms` pass, running each timer as it falls due (timers they set run too). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be ≥ 0, got ${ms}`);
    const end = this.#mono + ms;
    while (this.runNext(end - this.#mono)) {
      // Each timer runs at its own time; those it sets are seen by the next turn.
    }
    this.#pass(end - this.#mono);
  }

  /** Lets time pass until the wall clock reads `to` (a Date or epoch ms), running timers. */
  advanceTo(to: Date | number): void {
    const target = typeof to === "number" ? to : to.getTime();
    const ms = target - this.#wall;
    if (!(ms >= 0)) {
      throw new RangeError(
        `ManualClock.advanceTo: ${new Date(target).toISOString()} is before ` +
          `${new Date(this.#wall).toISOString()} (use jump() to set the clock back)`,
      );
    }
    this.advance(ms);
  }

  /** Moves the wall clock by `ms` (negative: back) while monotonic time stays; no timer runs. */
  jump(ms: number): void {
    this.#wall += ms;
  }

  /** The earliest timer due at or before monotonic `limit` (ties: first set), if any. */
  #first(limit: number): [TimerHandle, ManualTimer] | undefined {
    let first: [TimerHandle, ManualTimer] | undefined;
    for (const entry of this.#timers) {
      const t = entry[1];
      if (t.due > limit) continue;
      if (!first || t.due < first[1].due || (t.due === first[1].due && t.seq < first[1].seq)) {
        first = entry;
      }
    }
    return first;
  }

  #pass(ms: number): void {
    if (ms <= 0) return;
    this.#wall += ms;
    this.#mono += ms;
  }
}
