/**
 * `EventBus`: synchronous delivery in subscription order, unsubscribing (also from inside a
 * handler), and a throwing handler that neither stops the others nor the publisher.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EventBus } from "../../src/events/bus.ts";
import type { PetitEvent } from "../../src/events/types.ts";

const paused: PetitEvent = { type: "scheduler_paused", at: 1 };
const resumed: PetitEvent = { type: "scheduler_resumed", at: 2 };

/** Runs `fn` with console.error captured; returns what it printed. */
function capturingErrors(fn: () => void): string[] {
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
  try {
    fn();
  } finally {
    console.error = original;
  }
  return printed;
}

Deno.test("EventBus.publish(): does nothing without subscribers", () => {
  new EventBus().publish(paused);
});

Deno.test("EventBus.publish(): delivers each event to every handler before returning", () => {
  const bus = new EventBus();
  const seen: string[] = [];
  bus.subscribe((e) => seen.push(`first ${e.type}`));
  bus.subscribe((e) => seen.push(`second ${e.type}`));
  bus.publish(paused);
  assert.deepEqual(seen, ["first scheduler_paused", "second scheduler_paused"]);
  bus.publish(resumed);
  assert.equal(seen.length, 4);
});

Deno.test("EventBus.publish(): hands handlers the published object itself", () => {
  const bus = new EventBus();
  let got: PetitEvent | undefined;
  bus.subscribe((e) => (got = e));
  bus.publish(paused);
  assert.equal(got, paused);
});

Deno.test("EventBus.subscribe(): returns a function that removes only that handler", () => {
  const bus = new EventBus();
  const seen: string[] = [];
  const offA = bus.subscribe(() => seen.push("a"));
  bus.subscribe(() => seen.push("b"));
  offA();
  bus.publish(paused);
  assert.deepEqual(seen, ["b"]);
  offA(); // A second call changes nothing.
  bus.publish(paused);
  assert.deepEqual(seen, ["b", "b"]);
});

Deno.test("EventBus.subscribe(): the same function subscribed twice is called twice", () => {
  const bus = new EventBus();
  let calls = 0;
  const handler = () => void calls++;
  bus.subscribe(handler);
  bus.subscribe(handler);
  bus.publish(paused);
  assert.equal(calls, 2);
});

Deno.test("EventBus.publish(): a handler that unsubscribes another does not cut the current delivery", () => {
  const bus = new EventBus();
  const seen: string[] = [];
  let offB = () => {};
  bus.subscribe(() => {
    seen.push("a");
    offB();
  });
  offB = bus.subscribe(() => seen.push("b"));
  bus.publish(paused);
  assert.deepEqual(seen, ["a", "b"], "b still gets the event being delivered");
  bus.publish(resumed);
  assert.deepEqual(seen, ["a", "b", "a"], "b gets none after it");
});

Deno.test("EventBus.publish(): a handler subscribed during delivery gets only later events", () => {
  const bus = new EventBus();
  const late: string[] = [];
  let added = false;
  bus.subscribe(() => {
    if (added) return;
    added = true;
    bus.subscribe((e) => late.push(e.type));
  });
  bus.publish(paused);
  assert.deepEqual(late, []);
  bus.publish(resumed);
  assert.deepEqual(late, ["scheduler_resumed"]);
});

Deno.test("EventBus.publish(): a throwing handler is reported on stderr and the others still run", () => {
  const bus = new EventBus();
  const seen: string[] = [];
  bus.subscribe(() => seen.push("before"));
  bus.subscribe(() => {
    throw new Error("disk full");
  });
  bus.subscribe(() => seen.push("after"));
  const printed = capturingErrors(() => bus.publish(paused));
  assert.deepEqual(seen, ["before", "after"]);
  assert.deepEqual(printed, [
    "petit: event handler failed on scheduler_paused: Error: disk full",
  ]);
});
