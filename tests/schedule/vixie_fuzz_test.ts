/**
 * Petit's 5-field cron schedules against an exact reference of Vixie cron's semantics
 * (`vixie_reference.ts`): a fixed corpus of tricky day-field cases plus seeded random
 * expressions (values, ranges, steps, lists, `*`, `*` with a step, `MON`/`JAN` names). For each expression and a few start instants, the next fire times in UTC
 * must be equal; an expression Petit rejects as never firing must have no fire time in a whole
 * 400-year Gregorian cycle, and one it accepts must have one.
 *
 * The seed is fixed so runs repeat; set `PETIT_FUZZ_SEED` to try another. A failure names the
 * seed and the expression.
 *
 * @module
 */

import assert from "node:assert/strict";
import { nextFireTimes, parseSchedule, ScheduleError } from "../../src/schedule/schedule.ts";
import {
  DOM,
  DOW,
  type FieldSpec,
  HOUR,
  MINUTE,
  MONTH,
  vixieEntry,
  vixieEverFires,
  vixieNext,
} from "./vixie_reference.ts";

/** @default 20261123 */
const DEFAULT_SEED = 20261123;
const GENERATED_CASES = 400;
const STARTS_PER_CASE = 3;
const FIRES_PER_START = 5;
/** Long enough for February 29 on a given weekday, which comes round every 28 years. */
const WINDOW_YEARS = 30;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Starts fall between these instants. */
const START_FROM = Date.UTC(2024, 0, 1);
const START_TO = Date.UTC(2032, 0, 1);

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function int(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/**
 * The largest step croner takes for a field (the size of its table, 7 for day of week);
 * Vixie takes any step, and a larger one would only repeat the first value.
 */
function maxStep(spec: FieldSpec): number {
  return spec === DOW ? 7 : spec.high - spec.low + 1;
}

/** A value as written: a number, or (for months and weekdays, sometimes) a name in any case. */
function writeValue(random: Random, spec: FieldSpec, value: number): string {
  const name = spec.names?.[value - spec.low];
  if (name === undefined || random() < 0.6) return String(value);
  return pick(random, [name, name.toUpperCase(), name[0].toUpperCase() + name.slice(1)]);
}

/**
 * One list element. Ranges never end in a `SUN` name: croner reads `-SUN` as `-7` (so `FRI-SUN`
 * is Friday to Sunday), while Vixie reads it as 0 and rejects `FRI-SUN`.
 */
function element(random: Random, spec: FieldSpec): string {
  const kind = random();
  if (kind < 0.15) return "*";
  if (kind < 0.35) return `*/${int(random, 1, maxStep(spec))}`;
  const a = int(random, spec.low, spec.high);
  if (kind < 0.65) return writeValue(random, spec, a);
  const b = int(random, a, spec.high);
  const range = `${writeValue(random, spec, a)}-${b === 0 ? "0" : writeValue(random, spec, b)}`;
  if (kind < 0.85) return range;
  return `${range}/${int(random, 1, maxStep(spec))}`;
}

/** A field: often `*`, otherwise a list of one to three elements. */
function field(random: Random, spec: FieldSpec, starChance: number): string {
  if (random() < starChance) return "*";
  const length = pick(random, [1, 1, 1, 2, 2, 3]);
  return Array.from({ length }, () => element(random, spec)).join(",");
}

/** A random 5-field expression; the day fields are restricted more often than the others. */
function expression(random: Random): string {
  return [
    field(random, MINUTE, 0.3),
    field(random, HOUR, 0.3),
    field(random, DOM, 0.25),
    field(random, MONTH, 0.5),
    field(random, DOW, 0.25),
  ].join(" ");
}

/** Short months, the ones a late day can miss. */
const SHORT_MONTHS = [2, 4, 6, 9, 11] as const;

/**
 * Late days in short months (`30 2`, `31 4,6`): the combinations that may never fire, which
 * random fields almost never produce. With a restricted day of week that does not start with
 * `*`, the fields OR and the expression fires after all.
 */
function lateDayExpression(random: Random): string {
  const day = () => int(random, 29, 31);
  const dom = pick(random, [`${day()}`, `${day()},${day()}`, "30-31", "29-31/2", "29-31"]);
  const months = Array.from(
    { length: int(random, 1, 3) },
    () => writeValue(random, MONTH, pick(random, SHORT_MONTHS)),
  );
  return [
    field(random, MINUTE, 0.3),
    field(random, HOUR, 0.3),
    dom,
    months.join(","),
    field(random, DOW, 0.4),
  ].join(" ");
}

/** One in this many generated expressions is a {@link lateDayExpression}. */
const LATE_DAY_EVERY = 8;

/** Hand-picked cases: the day-field rule, Sundays, leap days, dead dates, names. */
const CORPUS = [
  "0 0 */10 * 1",
  "0 0 1-7 * 1",
  "0 0 * * 1",
  "0 0 1 * *",
  "0 0 1,15 * 5",
  "0 0 */2 * */3",
  "0 0 */1 * 1",
  "0 0 1-31 * 1",
  "0 0 *,13 * FRI",
  "0 0 13,* * FRI",
  "0 0 13 * */5",
  "0 0 13 * *,5",
  "0 0 13 * 5,*",
  "30 4 1,15 * 5",
  "0 0 * * 7",
  "0 0 * * 0,7",
  "0 0 * * 5-7",
  "0 0 * * */7",
  "0 0 29 2 *",
  "0 0 29 2 1",
  "0 0 29 2 */7",
  "0 0 31 */2 *",
  "0 0 31 1,2 */7",
  "59 23 31 12 *",
  "0 0 */31 * *",
  "0 0 1 */12 *",
  "0 0 1-7/2 * MON-FRI/2",
  "*/15 9-17 * JAN-MAR,oct mon-Fri",
  "0 0 31 2 *",
  "0 0 30 2 *",
  "0 0 31 4,6,9,11 *",
  "0 0 30-31 FEB */3",
  "0 0 31 2 1",
] as const;

/** Compares Petit with the reference on one expression; returns a mismatch or null. */
function compare(expression: string, random: Random): string | null {
  const entry = vixieEntry(expression);
  let schedule;
  try {
    schedule = parseSchedule(expression);
  } catch (error) {
    if (!(error instanceof ScheduleError) || !error.message.includes("never fires")) {
      return `rejected: ${error instanceof Error ? error.message : error}`;
    }
    return vixieEverFires(entry) ? `rejected as never firing, but it fires` : null;
  }
  for (let i = 0; i < STARTS_PER_CASE; i++) {
    let after = int(random, START_FROM, START_TO);
    if (i === 1) after = Math.floor(after / MINUTE_MS) * MINUTE_MS; // exactly on a minute
    const until = after + WINDOW_YEARS * 365 * DAY_MS;
    const expected = vixieNext(entry, after, FIRES_PER_START, until);
    if (expected.length === 0 && !vixieEverFires(entry)) return "accepted, but it never fires";
    const actual = nextFireTimes(schedule, new Date(after), FIRES_PER_START)
      .map((d) => d.getTime())
      .filter((t) => t < until);
    if (actual.join() !== expected.join()) {
      const iso = (times: number[]) => times.map((t) => new Date(t).toISOString()).join(", ");
      return `after ${new Date(after).toISOString()}: expected [${iso(expected)}], ` +
        `got [${iso(actual)}]`;
    }
  }
  return null;
}

function seedFromEnvironment(): number {
  let text: string | undefined;
  try {
    text = Deno.env.get("PETIT_FUZZ_SEED");
  } catch {
    text = undefined; // no --allow-env: use the default
  }
  return text === undefined || text === "" ? DEFAULT_SEED : Number(text);
}

/** Runs every case and fails once, with all mismatches (up to 10) and the seed. */
function check(expressions: readonly string[], seed: number, random: Random): void {
  const failures: string[] = [];
  for (const expression of expressions) {
    const mismatch = compare(expression, random);
    if (mismatch !== null) failures.push(`${JSON.stringify(expression)} ${mismatch}`);
  }
  if (failures.length > 0) {
    assert.fail(
      `${failures.length} of ${expressions.length} cron expressions differ from Vixie cron ` +
        `(seed ${seed}, rerun with PETIT_FUZZ_SEED=${seed}):\n` +
        failures.slice(0, 10).join("\n"),
    );
  }
}

Deno.test("cron: tricky day-field cases match Vixie cron", () => {
  const seed = seedFromEnvironment();
  check(CORPUS, seed, prng(seed));
});

Deno.test(`cron: ${GENERATED_CASES} random expressions match Vixie cron`, () => {
  const seed = seedFromEnvironment();
  const random = prng(seed);
  const expressions = Array.from(
    { length: GENERATED_CASES },
    (_, i) => i % LATE_DAY_EVERY === 0 ? lateDayExpression(random) : expression(random),
  );
  check(expressions, seed, random);
});
