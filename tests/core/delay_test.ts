/**
 * `delay()`: timing, abort (before and during the wait) and waits longer than one timer
 * can hold (setTimeout overflows above 2^31 - 1 ms and fires at once).
 */

import assert from "node:assert/strict";
import { delay, longTimeout, MAX_TIMER_MS } from "../../src/core/delay.ts";

Deno.test("delay(): resolves after ms", async () => {
  const t0 = performance.now();
  const value = await delay(30);
  const elapsed = performance.now() - t0;
  assert.equal(value, undefined);
  // Timers may fire a hair early relative to performance.now() granularity, never much.
  assert.ok(elapsed >= 28, `resolved after ${elapsed} ms`);
});

Deno.test("delay(): resolves without a timer with ms = 0, negative or NaN", async () => {
  for (const ms of [0, -5, NaN]) {
    let settled = false;
    const p = delay(ms).then(() => (settled = true));
    await Promise.resolve();
    assert.equal(settled, true, `delay(${ms}) settled within a microtask`);
    await p;
  }
});

Deno.test("delay(): rejects with signal.reason when aborted during the wait", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const t0 = performance.now();
  const p = delay(60_000, { signal: controller.signal });
  setTimeout(() => controller.abort(reason), 10);
  await assert.rejects(p, (err) => err === reason);
  assert.ok(performance.now() - t0 < 5000, "no 60 s wait");
  // The test sanitizer fails this test if the 60 s timer were still pending.
});

Deno.test("delay(): a plain abort() rejects with an AbortError DOMException", async () => {
  const controller = new AbortController();
  const p = delay(60_000, { signal: controller.signal });
  controller.abort();
  await assert.rejects(
    p,
    (err) => err instanceof DOMException && err.name === "AbortError",
  );
});

Deno.test("delay(): rejects at once when the signal is already aborted, even with ms = 0", async () => {
  const reason = new Error("already");
  for (const ms of [0, 1000]) {
    await assert.rejects(delay(ms, { signal: AbortSignal.abort(reason) }), (err) => err === reason);
  }
});

Deno.test("delay(): aborting after it resolved changes nothing", async () => {
  const controller = new AbortController();
  await delay(5, { signal: controller.signal });
  // Aborting afterwards must not reject anything (the listener was removed).
  controller.abort(new Error("late"));
});

Deno.test("delay(): a 2**31+1000 ms delay is still pending after 50 ms", async () => {
  const controller = new AbortController();
  let settled = false;
  const p = delay(2 ** 31 + 1000, { signal: controller.signal }).then(
    () => (settled = true),
    (err) => {
      settled = true;
      throw err;
    },
  );
  await delay(50);
  assert.equal(settled, false, "a single overflowing setTimeout would have fired after ~1 ms");
  const reason = new Error("done waiting");
  controller.abort(reason);
  await assert.rejects(p, (err) => err === reason);
});

Deno.test("delay(): waits longer than one timer chain timers of at most MAX_TIMER_MS", async () => {
  assert.equal(MAX_TIMER_MS, 2147483647);
  const real = globalThis.setTimeout;
  const asked: number[] = [];
  // A stand-in that records each timer's length and fires it on the next microtask.
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    asked.push(ms);
    queueMicrotask(fn);
    return 0;
  }) as unknown as typeof setTimeout;
  try {
    await delay(2 ** 31 + 1000);
    assert.deepEqual(asked, [MAX_TIMER_MS, 1001]);
    asked.length = 0;
    await delay(2 * MAX_TIMER_MS);
    assert.deepEqual(asked, [MAX_TIMER_MS, MAX_TIMER_MS]);
    asked.length = 0;
    await delay(1234);
    assert.deepEqual(asked, [1234]);
  } finally {
    globalThis.setTimeout = real;
  }
});

Deno.test("longTimeout(): fires once after ms, and clear() cancels it", async () => {
  let fired = 0;
  longTimeout(() => fired++, 20);
  const cleared = longTimeout(() => fired += 100, 20);
  cleared.clear();
  await delay(60);
  assert.equal(fired, 1);
});

Deno.test("longTimeout(): 2**31+1000 ms does not fire at once; it chains timers", async () => {
  let fired = false;
  const handle = longTimeout(() => fired = true, 2 ** 31 + 1000);
  await delay(50);
  assert.equal(fired, false);
  handle.clear();
  const real = globalThis.setTimeout;
  const asked: number[] = [];
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    asked.push(ms);
    queueMicrotask(fn);
    return 0;
  }) as unknown as typeof setTimeout;
  try {
    await new Promise<void>((resolve) => longTimeout(resolve, 2 ** 31 + 1000));
    assert.deepEqual(asked, [MAX_TIMER_MS, 1001]);
  } finally {
    globalThis.setTimeout = real;
  }
});
