/**
 * A {@link Clock} driven by the test: time stands still until `advance()` lets it pass (timers
 * run as they fall due, each seeing the time it was due), and `jump()` moves the wall clock
 * alone, as an NTP step or a manual change would.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../../src/scheduler/clock.ts";

interface FakeTimer {
  readonly fn: () => void;
  /** Monotonic time it falls due. */
  readonly due: number;
  /** Order of setting, for timers due at the same time. */
  readonly seq: number;
}

/** A clock whose time passes only when the test says so. */
export class FakeClock implements Clock {
  #wall: number;
  #mono = 0;
  #seq = 0;
  readonly #timers = new Map<TimerHandle, FakeTimer>();
  /** Every delay asked of `setTimer`, in order. */
  readonly delays: number[] = [];

  /** A clock whose wall time starts at `wallMs` (epoch ms). */
  constructor(wallMs: number) {
    this.#wall = wallMs;
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    this.delays.push(ms);
    this.#timers.set(handle, { fn, due: this.#mono + Math.max(0, ms || 0), seq: this.#seq++ });
    return handle;
  }

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

  /** Lets `ms` pass, running each timer as it falls due (timers they set run too). */
  advance(ms: number): void {
    const end = this.#mono + ms;
    for (;;) {
      let first: [TimerHandle, FakeTimer] | undefined;
      for (const entry of this.#timers) {
        const t = entry[1];
        if (t.due > end) continue;
        if (!first || t.due < first[1].due || (t.due === first[1].due && t.seq < first[1].seq)) {
          first = entry;
        }
      }
      if (!first) break;
      this.#timers.delete(first[0]);
      this.#pass(first[1].due - this.#mono);
      first[1].fn();
    }
    this.#pass(end - this.#mono);
  }

  /** Moves the wall clock by `ms` (negative: back) while monotonic time stays. */
  jump(ms: number): void {
    this.#wall += ms;
  }

  #pass(ms: number): void {
    if (ms <= 0) return;
    this.#wall += ms;
    this.#mono += ms;
  }
}
