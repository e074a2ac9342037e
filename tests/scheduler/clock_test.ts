/**
 * The system clock's timers: delays longer than one `setTimeout` can hold are chained (seen
 * with a small link length), a cleared chain never fires, and the busy wait before a slot
 * stays within its bound.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MAX_TIMER_MS } from "../../src/core/delay.ts";
import { SYSTEM_CLOCK, systemClock } from "../../src/scheduler/clock.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("systemClock(): a delay longer than one timer is chained, fires once, not early", async () => {
  const clock = systemClock(20);
  const started = performance.now();
  const { promise, resolve } = Promise.withResolvers<number>();
  let calls = 0;
  clock.setTimer(() => {
    calls++;
    resolve(performance.now() - started);
  }, 70);
  const elapsed = await promise;
  assert.ok(elapsed >= 69, `fired after ${elapsed} ms`);
  await sleep(30);
  assert.equal(calls, 1);
});

Deno.test("systemClock(): clearTimer between links stops the chain", async () => {
  const clock = systemClock(20);
  let fired = false;
  const handle = clock.setTimer(() => (fired = true), 70);
  await sleep(30); // past the first link
  clock.clearTimer(handle);
  await sleep(70);
  assert.equal(fired, false);
});

Deno.test("SYSTEM_CLOCK: a delay past 2^31-1 ms (a yearly slot) does not fire at once", async () => {
  // One setTimeout of 2^31 ms would fire after ~1 ms (TimeoutOverflowWarning).
  let fired = false;
  const handle = SYSTEM_CLOCK.setTimer(() => (fired = true), MAX_TIMER_MS + 1_000);
  await sleep(50);
  SYSTEM_CLOCK.clearTimer(handle);
  assert.equal(fired, false);
});

Deno.test("SYSTEM_CLOCK.spinUntil(): waits to the millisecond only within maxMs", () => {
  const target = Date.now() + 2;
  SYSTEM_CLOCK.spinUntil(target, 2);
  assert.ok(Date.now() >= target);
  // Too far ahead, or past: returns at once.
  const started = performance.now();
  SYSTEM_CLOCK.spinUntil(Date.now() + 60_000, 2);
  SYSTEM_CLOCK.spinUntil(Date.now() - 1, 2);
  assert.ok(performance.now() - started < 50);
});
