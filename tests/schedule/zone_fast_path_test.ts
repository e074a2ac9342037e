/**
 * Cron schedules in a time zone compute most fire times at a fixed UTC offset and ask croner's
 * zoned mode only near a transition (src/schedule/cron.ts). These tests compare the result with
 * croner's zoned mode alone, on every zone Intl knows, around each zone's transitions and at
 * random instants: the fast path must never change a fire time.
 */

import assert from "node:assert/strict";
import { Cron } from "croner";
import { parseSchedule } from "../../src/schedule/schedule.ts";
import { isValidTimeZone, offsetSpanAt } from "../../src/schedule/zone.ts";

/** Fixed-time and interval-style patterns (croner treats DST differently for each). */
const PATTERNS = [
  "30 2 * * *", // fixed time, in the usual spring gap and autumn fold
  "30 1 * * *",
  "0 0 * * *", // midnight: some zones change at midnight
  "*/30 * * * *", // interval style: skips the gap, repeats the fold
  "15 * * * 0", // every hour on Sundays
  "45 3 1 * *",
];
const HOUR = 3_600_000;
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2027, 0, 1);

/** croner's zoned mode on its own, as Petit configured it before the fast path. */
function zonedOnly(expression: string, timezone: string): Cron {
  const fields = ["0", ...expression.split(" ")];
  const star = (f: string) => f.startsWith("*");
  return new Cron(fields.join(" "), {
    timezone,
    mode: "6-part",
    domAndDow: !(!star(fields[3]) && !star(fields[5])),
  });
}

/** The zone's transitions in [FROM, TO). */
function transitions(tz: string): number[] {
  const out: number[] = [];
  let at = FROM;
  while (at < TO) {
    const span = offsetSpanAt(tz, at);
    if (span.end >= TO) break;
    out.push(span.end);
    at = span.end;
  }
  return out;
}

/** Compares three successive fire times from `after` for every pattern. */
function compareFrom(tz: string, after: number): void {
  for (const expression of PATTERNS) {
    const ours = parseSchedule(expression, tz);
    const theirs = zonedOnly(expression, tz);
    let a = new Date(after);
    let b = new Date(after);
    for (let i = 0; i < 3; i++) {
      const x = ours.next(a);
      const y = theirs.nextRun(b);
      assert.equal(
        x?.toISOString(),
        y?.toISOString(),
        `${expression} in ${tz} after ${a.toISOString()}`,
      );
      if (x === null || y === null) break;
      a = x;
      b = y;
    }
  }
}

Deno.test("zoned cron: the fast path gives croner's fire times around every transition of 2026", () => {
  let checked = 0;
  for (const tz of Intl.supportedValuesOf("timeZone")) {
    for (const t of transitions(tz)) {
      for (let k = -8; k <= 8; k++) compareFrom(tz, t + k * 0.75 * HOUR);
      checked++;
    }
  }
  assert.ok(checked > 100, `only ${checked} transitions found`);
});

Deno.test("zoned cron: the fast path gives croner's fire times at random instants", () => {
  // A fixed seed: a failure names its zone and instant and repeats.
  let seed = 11;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const zones = Intl.supportedValuesOf("timeZone");
  for (let i = 0; i < 400; i++) {
    const tz = zones[Math.floor(random() * zones.length)];
    compareFrom(tz, FROM + Math.floor(random() * (TO - FROM)));
  }
});

Deno.test("zoned cron: offsets of whole hours, half hours, quarters and none", () => {
  for (const tz of ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Etc/GMT+5"]) {
    compareFrom(tz, Date.UTC(2026, 3, 5, 1, 0));
  }
  assert.equal(offsetSpanAt("UTC", 0).offsetMinutes, 0);
  assert.equal(offsetSpanAt("UTC", 0).start, -Infinity);
  assert.equal(offsetSpanAt("UTC", 0).end, Infinity);
  assert.equal(offsetSpanAt("Asia/Kathmandu", FROM).offsetMinutes, 345);
});

Deno.test("zoned cron: a span starts at its transition, inclusive", () => {
  const [t] = transitions("Europe/Berlin"); // 2026-03-29T01:00Z, CET → CEST
  assert.equal(new Date(t).toISOString(), "2026-03-29T01:00:00.000Z");
  assert.equal(offsetSpanAt("Europe/Berlin", t).offsetMinutes, 120);
  assert.equal(offsetSpanAt("Europe/Berlin", t).start, t);
  assert.equal(offsetSpanAt("Europe/Berlin", t - 1).offsetMinutes, 60);
  assert.equal(offsetSpanAt("Europe/Berlin", t - 1).end, t);
});

Deno.test("isValidTimeZone accepts what Intl accepts", () => {
  const intl = (tz: string) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return tz.trim() !== "";
    } catch {
      return false;
    }
  };
  const names = [
    ...Intl.supportedValuesOf("timeZone"),
    ...["utc", "europe/berlin", "US/Pacific", "EST5EDT", "Etc/GMT+5", "+01:00", "Asia/Calcutta"],
    ...["Mars/Base", "", " ", "UTC+1", "Europe/Berlin "],
  ];
  for (const tz of names) assert.equal(isValidTimeZone(tz), intl(tz), JSON.stringify(tz));
});
