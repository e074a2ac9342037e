/**
 * The firing engine's slot arithmetic, called directly: `slotsBetween()` (span ends, `@every`
 * anchors, DST in a time zone, large gaps bounded) and `catchUpPlan()` (none, last, all with
 * catchup_limit).
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseSchedule } from "../../src/schedule/schedule.ts";
import { scaled } from "../time_scale.ts";
import {
  catchUpPlan,
  MAX_ENUMERATED,
  slotsBetween,
  type SlotSpan,
} from "../../src/scheduler/slots.ts";

const ms = (iso: string): number => Date.parse(iso);
const iso = (slots: readonly number[]): string[] => slots.map((s) => new Date(s).toISOString());

Deno.test("slotsBetween(): slots strictly after from and at or before to, oldest first", () => {
  const span = slotsBetween(
    parseSchedule("* * * * *"),
    ms("2026-01-01T10:00:00Z"),
    ms("2026-01-01T10:03:00Z"),
  );
  assert.deepEqual(iso(span.slots), [
    "2026-01-01T10:01:00.000Z",
    "2026-01-01T10:02:00.000Z",
    "2026-01-01T10:03:00.000Z",
  ]);
  assert.equal(span.total, 3);
});

Deno.test("slotsBetween(): an empty span, and a schedule with no more fire times", () => {
  const minute = parseSchedule("* * * * *");
  const at = ms("2026-01-01T10:00:30Z");
  assert.deepEqual(slotsBetween(minute, at, at + 20_000), { slots: [], total: 0 });
  assert.deepEqual(slotsBetween({ next: () => null }, 0, 1e12), { slots: [], total: 0 });
});

Deno.test("slotsBetween(): @every counts from the anchor, not from the span's start", () => {
  const every = parseSchedule("@every 10m");
  const from = ms("2026-01-01T10:00:00Z");
  const to = ms("2026-01-01T10:40:00Z");
  assert.deepEqual(
    iso(slotsBetween(every, from, to, { anchor: ms("2026-01-01T10:05:00Z") }).slots),
    [
      "2026-01-01T10:15:00.000Z",
      "2026-01-01T10:25:00.000Z",
      "2026-01-01T10:35:00.000Z",
    ],
  );
  // Without an anchor each slot counts from the one before, the first from `from`.
  assert.deepEqual(iso(slotsBetween(every, from, to).slots), [
    "2026-01-01T10:10:00.000Z",
    "2026-01-01T10:20:00.000Z",
    "2026-01-01T10:30:00.000Z",
    "2026-01-01T10:40:00.000Z",
  ]);
});

Deno.test("slotsBetween(): DST in New York, 02:30 on spring-forward day runs once at 03:00", () => {
  // 2026-03-08 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that day.
  const span = slotsBetween(
    parseSchedule("30 2 * * *", "America/New_York"),
    ms("2026-03-07T12:00:00Z"),
    ms("2026-03-10T12:00:00Z"),
  );
  assert.deepEqual(iso(span.slots), [
    "2026-03-08T07:00:00.000Z",
    "2026-03-09T06:30:00.000Z",
    "2026-03-10T06:30:00.000Z",
  ]);
  assert.equal(span.total, 3);
});

Deno.test("slotsBetween(): DST in New York, 01:30 on fall-back day is one missed slot, not two", () => {
  // 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens at 05:30Z and 06:30Z.
  const span = slotsBetween(
    parseSchedule("30 1 * * *", "America/New_York"),
    ms("2026-10-31T12:00:00Z"),
    ms("2026-11-02T12:00:00Z"),
  );
  assert.deepEqual(iso(span.slots), ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]);
  // A catch-up of "last" over that gap runs the 2 Nov slot and names 1 Nov as dropped.
  assert.deepEqual(catchUpPlan("last", span, 10), {
    run: [ms("2026-11-02T06:30:00Z")],
    dropped: 1,
    latestDropped: ms("2026-11-01T05:30:00Z"),
  });
});

Deno.test("slotsBetween(): an interval-style cron keeps real half hours across the Berlin fold", () => {
  // 2026-10-25 03:00 CEST falls back to 02:00 CET: four half hours pass between 00:00Z and 02:00Z.
  const span = slotsBetween(
    parseSchedule("*/30 * * * *", "Europe/Berlin"),
    ms("2026-10-25T00:00:00Z"),
    ms("2026-10-25T02:00:00Z"),
  );
  assert.equal(span.total, 4);
  assert.deepEqual(iso(span.slots), [
    "2026-10-25T00:30:00.000Z",
    "2026-10-25T01:00:00.000Z",
    "2026-10-25T01:30:00.000Z",
    "2026-10-25T02:00:00.000Z",
  ]);
});

Deno.test("slotsBetween(): a year-long gap keeps the latest MAX_ENUMERATED slots and counts all", () => {
  // An every-second job down for a year: 31,536,000 slots, enumerated in ~20 ms here.
  const from = ms("2025-01-01T00:00:00Z");
  const to = ms("2026-01-01T00:00:00Z");
  const started = performance.now();
  const span = slotsBetween(parseSchedule("@every 1s"), from, to, { anchor: from });
  const elapsed = performance.now() - started;
  assert.ok(span.slots.length <= MAX_ENUMERATED, `${span.slots.length} slots kept`);
  assert.ok(span.slots.length >= MAX_ENUMERATED / 2, `${span.slots.length} slots kept`);
  assert.equal(span.slots.at(-1), to);
  assert.ok(span.slots.every((s, i) => i === 0 || s - span.slots[i - 1] === 1000));
  // The skipped part is counted at the rate seen, exact for a steady schedule.
  assert.equal(span.total, (to - from) / 1000);
  // Enumerating all 31,536,000 would take ~10 s here (0.34 µs a slot), minutes emulated.
  assert.ok(elapsed < scaled(1_000), `took ${elapsed} ms`);
});

Deno.test("slotsBetween(): limit bounds the work for a cron schedule too", () => {
  // Cron is ~60 µs a call (croner): a year of seconds at the default limit is ~1.2 s, so a
  // small limit here; the bound is the same code.
  const from = ms("2025-01-01T00:00:00Z");
  const to = ms("2026-01-01T00:00:00Z");
  let calls = 0;
  const cron = parseSchedule("* * * * * *");
  const counted = { next: (after: Date) => (calls++, cron.next(after)) };
  const span = slotsBetween(counted, from, to, { limit: 100 });
  assert.ok(span.slots.length <= 100 && span.slots.length >= 50, `${span.slots.length} kept`);
  assert.equal(span.slots.at(-1), to);
  assert.equal(span.total, (to - from) / 1000);
  assert.ok(calls <= 4 * 100, `${calls} next() calls`);
});

Deno.test("slotsBetween(): limit below 2 is refused", () => {
  assert.throws(
    () => slotsBetween(parseSchedule("* * * * *"), 0, 1, { limit: 1 }),
    RangeError,
  );
});

/** Five missed slots, a minute apart. */
const FIVE: SlotSpan = { slots: [60_000, 120_000, 180_000, 240_000, 300_000], total: 5 };

Deno.test("catchUpPlan(): none runs nothing and names the latest slot as dropped", () => {
  assert.deepEqual(catchUpPlan("none", FIVE, 10), {
    run: [],
    dropped: 5,
    latestDropped: 300_000,
  });
});

Deno.test("catchUpPlan(): last runs the latest slot only", () => {
  assert.deepEqual(catchUpPlan("last", FIVE, 10), {
    run: [300_000],
    dropped: 4,
    latestDropped: 240_000,
  });
  assert.deepEqual(catchUpPlan("last", { slots: [60_000], total: 1 }, 10), {
    run: [60_000],
    dropped: 0,
    latestDropped: null,
  });
});

Deno.test("catchUpPlan(): all runs the latest catchup_limit slots, oldest first", () => {
  assert.deepEqual(catchUpPlan("all", FIVE, 3), {
    run: [180_000, 240_000, 300_000],
    dropped: 2,
    latestDropped: 120_000,
  });
  assert.deepEqual(catchUpPlan("all", FIVE, 5), {
    run: FIVE.slots,
    dropped: 0,
    latestDropped: null,
  });
  assert.deepEqual(catchUpPlan("all", FIVE, 100), {
    run: FIVE.slots,
    dropped: 0,
    latestDropped: null,
  });
});

Deno.test("catchUpPlan(): counts the slots left out of a bounded span as dropped", () => {
  // slotsBetween kept the latest 4 of a million.
  const span: SlotSpan = { slots: [1_000, 2_000, 3_000, 4_000], total: 1_000_000 };
  assert.deepEqual(catchUpPlan("all", span, 2), {
    run: [3_000, 4_000],
    dropped: 999_998,
    latestDropped: 2_000,
  });
  // Every kept slot runs: the dropped ones are all outside, with no slot to name.
  assert.deepEqual(catchUpPlan("all", span, 10), {
    run: span.slots,
    dropped: 999_996,
    latestDropped: null,
  });
});

Deno.test("catchUpPlan(): nothing missed, nothing to do", () => {
  for (const policy of ["none", "last", "all"] as const) {
    assert.deepEqual(catchUpPlan(policy, { slots: [], total: 0 }, 10), {
      run: [],
      dropped: 0,
      latestDropped: null,
    });
  }
});
