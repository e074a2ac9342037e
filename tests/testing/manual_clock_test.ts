/**
 * The manual clock: time stands still until the test lets it pass; timers run at their due
 * time in order (ties in the order they were set, timers set by timers included), one at a
 * time with `runNext()`; `jump()` moves the wall clock alone.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ManualClock } from "../../src/testing/manual_clock.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

Deno.test("ManualClock.advance(): timers run in due order, each seeing its own time", () => {
  const clock = new ManualClock(T0);
  const seen: [string, number][] = [];
  const log = (name: string) => () => seen.push([name, clock.now() - T0]);
  clock.setTimer(log("c"), 300);
  clock.setTimer(log("a"), 100);
  clock.setTimer(log("tie-1"), 200);
  clock.setTimer(log("tie-2"), 200);
  // A timer set by a timer runs in the same advance when it falls due in it.
  clock.setTimer(() => clock.setTimer(log("child"), 50), 100);
  clock.advance(250);
  assert.deepEqual(seen, [["a", 100], ["child", 150], ["tie-1", 200], ["tie-2", 200]]);
  assert.equal(clock.now(), T0 + 250);
  assert.equal(clock.monotonic(), 250);
  assert.equal(clock.pending, 1);
  assert.deepEqual(clock.delays, [300, 100, 200, 200, 100, 50]);
});

Deno.test("ManualClock.runNext(): one timer at a time, within a bound", () => {
  const clock = new ManualClock(new Date(T0));
  let fired = 0;
  const handle = clock.setTimer(() => fired++, 1_000);
  clock.setTimer(() => fired++, 5_000);
  assert.equal(clock.nextDue(), 1_000);
  assert.equal(clock.runNext(999), false);
  assert.equal(clock.now(), T0, "time does not move when nothing runs");
  assert.equal(clock.runNext(), true);
  assert.deepEqual([fired, clock.now() - T0, clock.nextDue()], [1, 1_000, 4_000]);
  clock.clearTimer(handle); // fired already: nothing happens
  assert.equal(clock.runNext(), true);
  assert.equal(clock.runNext(), false);
  assert.equal(clock.nextDue(), null);
});

Deno.test("ManualClock: jump() moves the wall clock alone; advanceTo() refuses the past", () => {
  const clock = new ManualClock(T0);
  clock.jump(-3_600_000);
  assert.deepEqual([clock.now(), clock.monotonic()], [T0 - 3_600_000, 0]);
  clock.advanceTo(T0);
  assert.deepEqual([clock.now(), clock.monotonic()], [T0, 3_600_000]);
  assert.throws(
    () => clock.advanceTo(T0 - 1),
    /is before .* \(use jump\(\) to set the clock back\)/,
  );
  assert.throws(() => clock.advance(-1), RangeError);
  assert.throws(() => new ManualClock(NaN), RangeError);
});

Deno.test("ManualClock.spinUntil(): passes time only within maxMs ahead", () => {
  const clock = new ManualClock(T0);
  clock.spinUntil(T0 + 2, 2);
  assert.equal(clock.now(), T0 + 2);
  clock.spinUntil(T0 + 60_000, 2);
  clock.spinUntil(T0 - 1, 2);
  assert.equal(clock.now(), T0 + 2);
});
